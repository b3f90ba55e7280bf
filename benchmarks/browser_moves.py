"""Browser time from a rank-slider move to the page drawn again, every page against its bare page, in headless Chromium.

A move is ArrowRight (ArrowLeft from the top rank) on the sidebar's rank slider in a 1280×900 window; it ends
when the URL shows the new rank, the script has finished, every chart in view has drawn the figure for the
new settings (a chart out of view has been sent it, and draws it when scrolled to), and the browser has painted
twice. The page and its bare page are open side by side and moved in turn. When the page defers a figure (ΔW at
large ranks), the time until that figure is in its chart (drawn, if in view) is measured too, by the page's clock.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, replace

from playwright.sync_api import Page, sync_playwright

from lora_viz.navigation import PAGES
from harness.browser import CHARTS_DRAWN, chromium, CHROMIUM_ARGS, running_app, wait_for_charts, wait_for_idle

from .bare import bare_app

SIZES = {"small": "d=64&k=64&r=8", "default": "d=4096&k=4096&r=8", "largest": "d=131072&k=131072&r=131072&trained=1"}
MOVES = 10  # per round, page and size; the bare page gets as many, one after each
# Each round opens the link with another seed and dtype, so its moves miss the caches too (the small size has only
# 24 ranks): 20 moves per row in all (14 left rows 0.1–0.2 apart between runs).
ROUNDS = ("", "&seed=1&dtype=fp16")
PENDING = '[data-testid="stAlert"]:has-text("Computing ΔW")'

# The deferred figure is timed by the page's own clock, from the move's key going down to the first animation
# frame at which it is in place (no waiting note, the run finished, every chart drawn): polling it from here took
# a few hundred ms longer to notice than the page did.
MARK_KEY_DOWN = "() => addEventListener('keydown', () => { window.__moveStart = performance.now(); }, {once: true, capture: true})"
DEFERRED_IN_PLACE = f"""() => {{
    const waiting = [...document.querySelectorAll('[data-testid="stAlert"]')].some(note => note.textContent.includes("Computing ΔW"));
    const running = document.querySelector('[data-testid="stApp"]').dataset.testScriptState !== "notRunning";
    return !waiting && !running && ({CHARTS_DRAWN})() && performance.now() - window.__moveStart;
}}"""


@dataclass(frozen=True)
class BrowserMove:
    page: str
    size: str
    ms: float
    bare_ms: float
    kib: float  # received over the WebSocket per move, median
    deferred_ms: float  # move to the deferred figure drawn, median (0 if nothing was deferred)

    @property
    def ratio(self) -> float:
        return self.ms / self.bare_ms


def _settled(page: Page) -> None:
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    wait_for_charts(page)  # then two paints


class Tab:
    """One page open in the browser, moved one rank at a time."""

    def __init__(self, browser, base: str, path: str, query: str) -> None:
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.received: list[int] = []
        self.page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: self.received.append(len(payload))))
        self.page.goto(f"{base}/{path}?{query}")
        wait_for_idle(self.page)
        self.page.wait_for_selector(PENDING, state="detached", timeout=30_000)
        self.slider = self.page.locator('[data-testid="stSidebar"]').get_by_role("slider").first  # the rank
        self.key = "ArrowLeft" if "r=131072" in query else "ArrowRight"  # to ranks not seen before

    def move(self) -> tuple[float, int, float | None]:
        """Seconds until the move is drawn, bytes received, and seconds until a deferred figure is drawn."""
        page = self.page
        rank = page.evaluate("() => new URLSearchParams(location.search).get('r')")
        self.received.clear()
        self.slider.focus()
        page.evaluate(MARK_KEY_DOWN)
        start = time.perf_counter()
        self.slider.press(self.key)
        page.wait_for_function(f"() => new URLSearchParams(location.search).get('r') !== '{rank}'")
        _settled(page)
        seconds = time.perf_counter() - start
        deferred = None
        if page.locator(PENDING).count():
            deferred = page.wait_for_function(DEFERRED_IN_PLACE, timeout=30_000).json_value() / 1000
        return seconds, sum(self.received), deferred


def measure(browser, app: str, bare: str, path: str, query: str) -> BrowserMove:
    """The page and its bare page open side by side, moved alternately (so drift in the machine hits both)."""
    times, bare_times, sizes, deferred = [], [], [], []
    for changes in ROUNDS:
        tab, bare_tab = Tab(browser, app, path, query + changes), Tab(browser, bare, path, query + changes)
        for _ in range(MOVES):
            seconds, received, late = tab.move()
            times.append(seconds)
            sizes.append(received)
            if late is not None:
                deferred.append(late)
            bare_times.append(bare_tab.move()[0])
        tab.page.close()
        bare_tab.page.close()
    median = statistics.median
    return BrowserMove("", "", 1000 * median(times), 1000 * median(bare_times), median(sizes) / 1024,
                       1000 * median(deferred) if deferred else 0.0)


def run() -> list[BrowserMove]:
    results = []
    with running_app() as app, running_app(root=bare_app()) as bare, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        for info in PAGES:
            for size, query in SIZES.items():
                m = replace(measure(browser, app, bare, info.url_path, query), page=info.label, size=size)
                results.append(m)
                print(f"{m.page:20s} {m.size:8s} {m.ms:6.0f} / {m.bare_ms:4.0f} ms = {m.ratio:.2f}, {m.kib:5.0f} KiB"
                      + (f", deferred figure after {m.deferred_ms:.0f} ms" if m.deferred_ms else ""), flush=True)
        browser.close()
    return results


def table(results: list[BrowserMove]) -> list[str]:
    lines = [
        "| page | size | ms per move | bare page ms | ratio | KiB received per move | deferred ΔW in place after |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for m in results:
        deferred = f"{m.deferred_ms:.0f} ms" if m.deferred_ms else ""
        lines.append(f"| {m.page} | {m.size} | {m.ms:.0f} | {m.bare_ms:.0f} | {m.ratio:.2f} | {m.kib:,.0f} | {deferred} |")
    return lines

"""Browser time from a rank-slider move to the page drawn again, every page against its bare page, in headless Chromium.

A move is ArrowRight (ArrowLeft from the top rank) on the sidebar's rank slider; it ends when the URL shows the
new rank, the script has finished, every chart frame has drawn the figure for the new settings, and the browser
has painted twice. When the page defers a figure (ΔW at large
ranks), the time until that figure is drawn is measured too.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from playwright.sync_api import Page, sync_playwright

from lora_viz.site import PAGES
from tests.browser import CHROMIUM, CHROMIUM_ARGS, running_app, wait_for_charts, wait_for_idle

from .bare import bare_app

SIZES = {"small": "d=64&k=64&r=8", "default": "d=4096&k=4096&r=8", "largest": "d=131072&k=131072&r=131072&trained=1"}
MOVES = 10
PENDING = '[data-testid="stAlert"]:has-text("Computing ΔW")'


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


def measure(browser, base: str, path: str, query: str) -> tuple[float, float, float]:
    """Median seconds per move, bytes received per move, and seconds until a deferred figure is drawn."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    received: list[int] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: received.append(len(payload))))
    page.goto(f"{base}/{path}?{query}")
    wait_for_idle(page)
    page.wait_for_selector(PENDING, state="detached", timeout=30_000)
    slider = page.locator('[data-testid="stSidebar"]').get_by_role("slider").first  # the rank
    key = "ArrowLeft" if "r=131072" in query else "ArrowRight"  # to ranks not seen before
    times, sizes, deferred = [], [], []
    for _ in range(MOVES):
        rank = page.evaluate("() => new URLSearchParams(location.search).get('r')")
        received.clear()
        slider.focus()
        start = time.perf_counter()
        slider.press(key)
        page.wait_for_function(f"() => new URLSearchParams(location.search).get('r') !== '{rank}'")
        _settled(page)
        times.append(time.perf_counter() - start)
        if page.locator(PENDING).count():
            page.wait_for_selector(PENDING, state="detached", timeout=30_000)
            _settled(page)
            deferred.append(time.perf_counter() - start)
        sizes.append(sum(received))
    page.close()
    return statistics.median(times), statistics.median(sizes), statistics.median(deferred) if deferred else 0.0


def run() -> list[BrowserMove]:
    results = []
    with running_app() as app, running_app(root=bare_app()) as bare, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for info in PAGES:
            for size, query in SIZES.items():
                seconds, received, deferred = measure(browser, app, info.url_path, query)
                bare_seconds, _, _ = measure(browser, bare, info.url_path, query)
                m = BrowserMove(info.label, size, 1000 * seconds, 1000 * bare_seconds, received / 1024, 1000 * deferred)
                results.append(m)
                print(f"{m.page:20s} {m.size:8s} {m.ms:6.0f} / {m.bare_ms:4.0f} ms = {m.ratio:.2f}, {m.kib:5.0f} KiB"
                      + (f", deferred figure after {m.deferred_ms:.0f} ms" if m.deferred_ms else ""), flush=True)
        browser.close()
    return results


def table(results: list[BrowserMove]) -> list[str]:
    lines = [
        "| page | size | ms per move | bare page ms | ratio | KiB received per move | deferred ΔW drawn after |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for m in results:
        deferred = f"{m.deferred_ms:.0f} ms" if m.deferred_ms else ""
        lines.append(f"| {m.page} | {m.size} | {m.ms:.0f} | {m.bare_ms:.0f} | {m.ratio:.2f} | {m.kib:,.0f} | {deferred} |")
    return lines

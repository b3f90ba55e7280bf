"""Cold opens and page switches in headless Chromium (1280×900), at the machine's speed and with the CPU throttled
4× (Emulation.setCPUThrottlingRate, as on a school laptop), against the floor.

Cold open: a new browser context (empty cache) opens the page's link `?d=4096&k=4096&r=8`; it ends when the
page has its title, the script has finished, no element is still loading, every chart in view shows the link's
settings (one out of view has been sent them), and the browser has painted twice (harness/browser.py:
wait_for_idle). The floor is that page's bare twin with only the same controls (benchmarks/floor.py). Median of 3
per row.
Page switch: in one tab with warm caches (every page opened once first, so that no switch goes into a first-time
training), a click on the sidebar's link to another page, until that page is idle in the same way; every ordered
pair of pages, once per CPU rate. The floor of a switch is the same switch between floor pages that have their
own titles and the six page links (benchmarks/floor.py, `linked`), switched the same way.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from playwright.sync_api import sync_playwright

from lora_viz.navigation import PAGES
from harness.browser import CHROMIUM_ARGS, chromium, running_app, wait_for_idle

from .bare import bare_app

RATES = (1, 4)
OPENS = 3
QUERY = "d=4096&k=4096&r=8"
VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT_MS = 180_000  # a throttled cold open of a chart page takes seconds; the default 30 s is not enough for all


@dataclass(frozen=True)
class ColdOpen:
    page: str
    rate: int
    seconds: float
    floor_seconds: float

    @property
    def ratio(self) -> float:
        return self.seconds / self.floor_seconds


@dataclass(frozen=True)
class Switch:
    source: str
    target: str
    rate: int
    seconds: float


def _throttled(page, rate: int) -> None:
    page.context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": rate})


def _cold_open(browser, url: str, rate: int) -> float:
    context = browser.new_context(viewport=VIEWPORT)  # a new context: an empty cache
    page = context.new_page()
    _throttled(page, rate)
    start = time.perf_counter()
    page.goto(url)
    wait_for_idle(page, TIMEOUT_MS)
    seconds = time.perf_counter() - start
    context.close()
    return seconds


def cold_opens(browser, app: str, floor: str) -> list[ColdOpen]:
    results = []
    for rate in RATES:
        for info in PAGES:
            times, floor_times = [], []
            for _ in range(OPENS):  # alternated, so that drift in the machine hits both
                times.append(_cold_open(browser, f"{app}/{info.url_path}?{QUERY}", rate))
                floor_times.append(_cold_open(browser, f"{floor}/{info.url_path}?{QUERY}", rate))
            row = ColdOpen(info.label, rate, statistics.median(times), statistics.median(floor_times))
            results.append(row)
            print(f"cold open {row.page:20s} {rate}× {row.seconds:5.2f} s / floor {row.floor_seconds:5.2f} s = {row.ratio:.2f}", flush=True)
    return results


def switches(browser, app: str) -> list[Switch]:
    results = []
    for rate in RATES:
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        _throttled(page, rate)
        for info in PAGES:  # warm: each page's figures and trainings cached, its element code loaded
            page.goto(f"{app}/{info.url_path}?{QUERY}")
            wait_for_idle(page, TIMEOUT_MS)
        for source in PAGES:
            for target in PAGES:
                if source == target:
                    continue
                page.goto(f"{app}/{source.url_path}?{QUERY}")
                wait_for_idle(page, TIMEOUT_MS)
                link = page.locator('[data-testid="stSidebar"]').get_by_role("link", name=target.label, exact=True)
                title = page.locator("h1").first.text_content()
                start = time.perf_counter()
                link.click()
                # The new page is there when its title is (each page has its own), then idle as above.
                page.wait_for_function("old => (document.querySelector('h1') || {}).textContent !== old", arg=title, timeout=TIMEOUT_MS)
                wait_for_idle(page, TIMEOUT_MS)
                results.append(Switch(source.label, target.label, rate, time.perf_counter() - start))
                print(f"switch {source.label} → {target.label} {rate}×: {results[-1].seconds:.2f} s", flush=True)
        context.close()
    return results


@dataclass(frozen=True)
class Opening:
    """Everything this benchmark measures: cold opens against the floor, the app's page switches and the floor's."""

    opens: list[ColdOpen]
    switches: list[Switch]
    floor_switches: list[Switch]

    def slowest(self, rate: int, floor: bool = False) -> Switch:
        return max((s for s in (self.floor_switches if floor else self.switches) if s.rate == rate), key=lambda s: s.seconds)

    def against_the_floor(self, rate: int) -> tuple[float, float, Switch]:
        """The app's switches at `rate` against the floor's same switch: the median ratio, the worst, and its switch."""
        floor = {(s.source, s.target): s.seconds for s in self.floor_switches if s.rate == rate}
        ratios = [(s.seconds / floor[s.source, s.target], s) for s in self.switches if s.rate == rate]
        worst, switch = max(ratios, key=lambda pair: pair[0])
        return statistics.median(ratio for ratio, _ in ratios), worst, switch


def run() -> Opening:
    with running_app() as app, running_app(root=bare_app()) as floor, running_app(root=bare_app(linked=True)) as linked, \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        opens = cold_opens(browser, app, floor)
        moves = switches(browser, app)
        floor_moves = switches(browser, linked)
        browser.close()
    return Opening(opens, moves, floor_moves)


def tables(opening: Opening) -> list[str]:
    lines = ["| page | CPU | cold open s | floor s | ratio |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {o.page} | {o.rate}× | {o.seconds:.2f} | {o.floor_seconds:.2f} | {o.ratio:.2f} |" for o in opening.opens]
    return lines + [""] + switch_table(opening)


def switch_table(opening: Opening) -> list[str]:
    lines = [
        "| page switch | CPU | median s | slowest s | slowest switch | floor median s | floor slowest s | floor's slowest switch | "
        "÷ the floor's same switch: median | worst | worst switch |",
        "|---|---:|---:|---:|---|---:|---:|---|---:|---:|---|",
    ]
    for rate in RATES:
        these = [s.seconds for s in opening.switches if s.rate == rate]
        floor = [s.seconds for s in opening.floor_switches if s.rate == rate]
        worst, floor_worst = opening.slowest(rate), opening.slowest(rate, floor=True)
        median_ratio, worst_ratio, worst_pair = opening.against_the_floor(rate)
        lines.append(
            f"| every ordered pair of pages ({len(these)}) | {rate}× | {statistics.median(these):.2f} | {worst.seconds:.2f} | "
            f"{worst.source} → {worst.target} | {statistics.median(floor):.2f} | {floor_worst.seconds:.2f} | "
            f"{floor_worst.source} → {floor_worst.target} | {median_ratio:.2f} | {worst_ratio:.2f} | "
            f"{worst_pair.source} → {worst_pair.target} |"
        )
    return lines


if __name__ == "__main__":
    print("\n".join(tables(run())))

"""A drag across the rank slider: how often the page shows a new rank while the thumb moves, in headless Chromium.

On each page with a preview (Home, Matrices to scale, Whole model) at normal CPU and throttled 4×, the mouse presses
the rank slider's thumb and moves right in 60 steps over one second, then releases, in two views:
- across the whole slider, from rank 1, where d = k = 131,072 gives the slider 68 positions: more than the steps, so
  the thumb can reach a new rank at every step, and the interval measures how fast the page follows it (the targets);
- the default view (d = k = 4,096, from r = 8, 60% of the track): 29 of its 48 positions, so the thumb itself reaches a
  new rank only every other step or so, and the interval measures the drag as much as the page.
The page records, by its own clock, the first animation frame after each new rank it shows (static/rank_preview.js
marks it on the page's root), and which ranks the thumb passed and when. Reported: the 95th percentile of the
interval between frames showing a new rank, the share of the ranks the thumb crossed that the page showed, how far
the page's frame lags the thumb showing each rank, and the thumb's own interval. The floor is the same drag on the
page's floor (benchmarks/floor.py: Streamlit's slider alone, no preview): its thumb's interval is the fastest any page
with Streamlit's slider follows a hand on this machine. On Matrices to scale each new rank also redraws the drawing's
sketch (a canvas). `python -m benchmarks.drag` runs it alone.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from playwright.sync_api import sync_playwright

from harness.browser import CHROMIUM_ARGS, chromium, running_server, wait_for_idle

from .bare import bare_app

PAGES = {"Home": "", "Matrices to scale": "matrices", "Whole model": "whole_model"}
RATES = (1, 4)
# A view: its link and how much of the slider's track the drag crosses.
VIEWS = {"whole slider": ("d=131072&k=131072&r=1", 1.0), "default": ("", 0.6)}
STEPS, SECONDS = 60, 1.0
DRAGS = 3  # per page and rate, each from the default rank in a fresh page

# The page's clock: the first frame after each rank the preview shows, and each rank the thumb shows.
RECORD = """() => {
    window.__shown = []; window.__crossed = new Set();
    new MutationObserver(() => {
        const rank = document.documentElement.dataset.loraVizPreview;
        requestAnimationFrame(() => window.__shown.push([performance.now(), rank]));
    }).observe(document.documentElement, {attributes: true, attributeFilter: ["data-lora-viz-preview"]});
    window.__thumb = {};
    const slider = document.querySelector('.st-key-r');
    new MutationObserver(() => {
        const input = slider.querySelector('input[type="range"]');
        const rank = input && input.getAttribute('aria-valuetext');
        if (rank && !(rank in window.__thumb)) window.__thumb[rank] = performance.now();
        if (rank) window.__crossed.add(rank);
    }).observe(slider, {attributes: true, subtree: true, childList: true, characterData: true});
}"""


@dataclass(frozen=True)
class Drag:
    page: str
    view: str
    rate: int
    p95_ms: float  # interval between frames that show a new rank
    median_ms: float
    shown: float  # share of the ranks crossed that the page showed
    lag_p95_ms: float  # from the thumb showing a rank to the first frame of the page showing it
    thumb_p95_ms: float  # interval between the thumb's own new ranks: the fastest the page could follow
    floor_thumb_p95_ms: float  # the same drag's thumb on the page's floor (Streamlit's slider alone)


def _drag(page, pixels: float) -> tuple[list[float], float, list[float], list[float]]:
    """One drag: the intervals between frames showing a new rank (ms), the share of crossed ranks shown, each
    shown rank's lag behind the thumb (ms), and the intervals between the thumb's own new ranks (ms)."""
    page.evaluate(RECORD)
    thumb = page.locator('.st-key-r [data-testid="stSliderThumbValue"]').bounding_box()
    x, y = thumb["x"] + thumb["width"] / 2, thumb["y"] + thumb["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    start = time.perf_counter()
    for step in range(1, STEPS + 1):
        page.mouse.move(x + pixels * step / STEPS, y)
        time.sleep(max(0.0, start + SECONDS * step / STEPS - time.perf_counter()))
    page.wait_for_timeout(100)
    shown = page.evaluate("window.__shown")
    crossed = set(page.evaluate("[...window.__crossed]")) - {None}
    thumb = page.evaluate("window.__thumb")
    page.mouse.up()
    times = [t for t, _ in shown]
    ranks = {rank for _, rank in shown}
    first = {}
    for t, rank in shown:
        first.setdefault(rank, t)
    lags = [t - thumb[rank] for rank, t in first.items() if rank in thumb]
    moved = sorted(thumb.values())
    return ([b - a for a, b in zip(times, times[1:])], len(crossed & ranks) / max(1, len(crossed)), lags,
            [b - a for a, b in zip(moved, moved[1:])])


def _drags(browser, url: str, share: float, rate: int) -> tuple[list[float], list[float], list[float], list[float]]:
    """DRAGS drags on the page at `url`, each in a fresh page: the frame intervals, shares shown, lags and the thumb's
    own intervals, all drags together."""
    intervals, shares, lags, thumbs = [], [], [], []
    for _ in range(DRAGS):
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        cdp = page.context.new_cdp_session(page)
        page.goto(url)
        wait_for_idle(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
        track = page.locator('.st-key-r [data-testid="stSliderTickBar"]').bounding_box()
        gaps, shown, lag, thumb = _drag(page, share * track["width"])
        intervals += gaps
        shares.append(shown)
        lags += lag
        thumbs += thumb
        page.close()
    return intervals, shares, lags, thumbs


def measure(browser, app: str, floor: str, label: str, path: str, view: str, rate: int) -> Drag:
    query, share = VIEWS[view]
    intervals, shares, lags, thumbs = _drags(browser, f"{app}/{path}?{query}", share, rate)
    floor_thumbs = _drags(browser, f"{floor}/{path}?{query}", share, rate)[3]
    return Drag(label, view, rate, _p95(intervals), statistics.median(intervals) if intervals else float("inf"), min(shares),
                _p95(lags), _p95(thumbs), _p95(floor_thumbs))


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.95 * (len(ordered) - 1))] if ordered else float("inf")


def run() -> list[Drag]:
    results = []
    with running_server() as app, running_server(root=bare_app()) as floor, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        for view in VIEWS:
            for label, path in PAGES.items():
                for rate in RATES:
                    d = measure(browser, app.url, floor.url, label, path, view, rate)
                    results.append(d)
                    print(f"{d.page:20s} {d.view:12s} CPU {d.rate}×: p95 {d.p95_ms:5.1f} ms, median {d.median_ms:5.1f} ms, {d.shown:.0%} of the "
                          f"ranks crossed shown, lag behind the thumb p95 {d.lag_p95_ms:.1f} ms (the thumb's own interval p95 "
                          f"{d.thumb_p95_ms:.1f} ms, the floor's {d.floor_thumb_p95_ms:.1f} ms)", flush=True)
        browser.close()
    return results


def table(results: list[Drag]) -> list[str]:
    lines = ["| page | view | CPU | frame interval p95 | median | the thumb's own interval p95 | the floor's thumb p95 | ranks crossed shown (worst drag) | lag behind the thumb p95 |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {d.page} | {d.view} | {d.rate}× | {d.p95_ms:.1f} ms | {d.median_ms:.1f} ms | {d.thumb_p95_ms:.1f} ms | {d.floor_thumb_p95_ms:.1f} ms | "
              f"{d.shown:.0%} | {d.lag_p95_ms:.1f} ms |" for d in results]
    return lines


if __name__ == "__main__":
    print("\n".join(table(run())))

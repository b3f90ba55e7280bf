"""Bytes the server sends per rerun, and browser time from a rank-slider move to the page drawn,
for every page against a bare page with the same controls, in headless Chromium.

python benchmarks/browser_moves.py  →  prints a Markdown table and appends it to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.slider_move import BARE  # noqa: E402
from lora_viz.site import PAGES  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS, running_app, wait_for_idle  # noqa: E402

SIZES = {"small": "d=64&k=64&r=4", "default": "d=4096&k=4096&r=8", "largest": "d=131072&k=131072&r=131072&trained=1"}
MOVES = 10


def _bare_root() -> Path:
    """The app's folder layout with every page replaced by the bare page (same sidebar, no work)."""
    folder = Path(tempfile.mkdtemp(prefix="lora-viz-bare-"))
    shutil.copytree(ROOT / ".streamlit", folder / ".streamlit")
    for page in PAGES:
        (folder / page.script).parent.mkdir(parents=True, exist_ok=True)
        (folder / page.script).write_text(BARE)
    return folder


def measure(browser, base: str, path: str, query: str) -> tuple[float, int]:
    """Median seconds and bytes received per rank move (ArrowRight), over MOVES moves."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    received = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: received.append(len(payload))))
    page.goto(f"{base}/{path}?{query}&steps=60")
    wait_for_idle(page)
    slider = page.locator('[data-testid="stSidebar"]').get_by_role("slider").first  # the rank
    # Move to ranks not seen before: down from the top rank, else up.
    key = "ArrowLeft" if "r=131072" in query else "ArrowRight"
    times, sizes = [], []
    for _ in range(MOVES):
        rank = page.evaluate("() => new URLSearchParams(location.search).get('r')")
        received.clear()
        slider.focus()
        start = time.perf_counter()
        slider.press(key)
        page.wait_for_function(f"() => new URLSearchParams(location.search).get('r') !== '{rank}'")
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
        page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        times.append(time.perf_counter() - start)
        sizes.append(sum(received))
    page.close()
    return statistics.median(times), int(statistics.median(sizes))


def main() -> None:
    lines = [
        "",
        "## Browser: one rank move, in headless Chromium",
        "",
        f"Median of {MOVES} moves (ArrowRight on the rank slider) from the key press to the page drawn again, and the "
        "bytes the server sent over the WebSocket for that rerun, against a bare page with the same controls.",
        "",
        "| page | size | ms per move | bare ms | ratio | KiB sent per rerun |",
        "|---|---|---:|---:|---:|---:|",
    ]
    with running_app() as app, running_app(root=_bare_root()) as bare, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for info in PAGES:
            for size, query in SIZES.items():
                app_s, app_bytes = measure(browser, app, info.url_path, query)
                bare_s, _ = measure(browser, bare, info.url_path, query)
                lines.append(f"| {info.label} | {size} | {app_s * 1000:.0f} | {bare_s * 1000:.0f} | {app_s / bare_s:.2f} | {app_bytes / 1024:,.0f} |")
                print(lines[-1], flush=True)
        browser.close()
    with open(ROOT / "benchmarks" / "RESULTS.md", "a") as results:
        results.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

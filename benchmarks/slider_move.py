"""Server time for one slider move on each page, at small, default and largest sizes.

python benchmarks/slider_move.py  →  prints a Markdown table and writes benchmarks/RESULTS.md.
A move to a rank not seen before is timed (a cache miss: the real cost), median of 20 moves,
alternated with the same moves on a bare page that has the same widgets and does no work.
"""

from __future__ import annotations

import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from lora_viz.ranks import rank_options  # noqa: E402
from lora_viz.site import PAGES as SITE_PAGES  # noqa: E402
from lora_viz.settings import Settings, to_query  # noqa: E402

BARE = f'''
import sys
sys.path.insert(0, {str(ROOT)!r})
import streamlit as st
from lora_viz import ui
ui.page_settings("Bare")
st.title("Bare page")
'''
SIZES = {
    "small (64×64)": Settings(d=64, k=64, r=8),
    "default (4096×4096)": Settings(),
    "largest (131072², r = 131072, trained)": Settings(d=131_072, k=131_072, r=131_072, trained=True),
}
PAGES = {page.label: page.script for page in SITE_PAGES}
MOVES = 20


def _bare_app() -> Path:
    """A copy of the app's page files that only draw the shared controls (page links need the same files)."""
    folder = Path(tempfile.mkdtemp(prefix="lora-viz-bare-"))
    for page in PAGES.values():
        (folder / page).parent.mkdir(parents=True, exist_ok=True)
        (folder / page).write_text(BARE)
    return folder


def _open(root: Path, script: str, s: Settings) -> AppTest:
    at = AppTest.from_file(str(root / "app.py"), default_timeout=120)
    if script != "app.py":
        at.switch_page(script)
    at.query_params.update(to_query(s))
    return at.run()


def _move_times(at: AppTest, ranks: list[int]) -> list[float]:
    times = []
    for r in ranks:
        start = time.perf_counter()
        at.select_slider(key="r").set_value(r).run()
        times.append(time.perf_counter() - start)
        assert not at.exception, at.exception
    return times


def measure(bare_root: Path, script: str, s: Settings) -> tuple[float, float]:
    """Median seconds per move on the page and on the bare page, moves interleaved page/bare."""
    options = rank_options(min(s.d, s.k), s.r)
    start = options.index(s.r)
    # Ranks not seen before, moving down from the top rank when the settings start there.
    step = -1 if start == len(options) - 1 else 1
    ranks = [options[(start + step * (1 + i)) % len(options)] for i in range(MOVES)]
    page, bare = _open(ROOT, script, s), _open(bare_root, script, s)
    page_times, bare_times = [], []
    for r in ranks:
        page_times += _move_times(page, [r])
        bare_times += _move_times(bare, [r])
    return statistics.median(page_times), statistics.median(bare_times)


def payload(script: str, s: Settings) -> int:
    """JSON bytes of every figure the page sends for one render."""
    at = _open(ROOT, script, s)
    return sum(len(chart.proto.spec) for chart in at.get("plotly_chart"))


def main() -> None:
    bare_root = _bare_app()
    lines = [
        "# Benchmark: one slider move",
        "",
        f"Machine: {platform.machine()}, {platform.processor() or platform.platform()}, Python {platform.python_version()}. "
        f"Median of {MOVES} rank moves to ranks not seen before (cache misses), interleaved with a bare page "
        "that has the same controls and does no other work. Server time via AppTest (script run, no network).",
        "",
        "| page | size | ms per move | bare page ms | ratio | figure JSON per render |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for page_name, script in PAGES.items():
        for size_name, s in SIZES.items():
            page_s, bare_s = measure(bare_root, script, s)
            size = f"{payload(script, s) / 1024:,.0f} KiB"
            lines.append(f"| {page_name} | {size_name} | {page_s * 1000:.0f} | {bare_s * 1000:.0f} | {page_s / bare_s:.2f} | {size} |")
            print(lines[-1], flush=True)
    (ROOT / "benchmarks" / "RESULTS.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

"""A stream of distinct links must not grow memory without limit: every cache is bounded."""

import gc
import os
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")
LINKS = 1000 if os.environ.get("LORA_VIZ_FULL") == "1" else 200
WARM_UP = 100  # enough distinct links to fill every cache (64 entries at most)
GROWTH_LIMIT_MB = 20  # an unbounded figure cache grew 42 MB over 900 links here


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


@pytest.mark.linux
@pytest.mark.skipif(sys.platform != "linux", reason="reads the process's memory from /proc, which only Linux has")
def test_distinct_links_keep_memory_bounded():
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("pages/matrices.py")
    baseline = None
    for i in range(LINKS):
        at.query_params.clear()
        at.query_params.update({"d": str(1000 + i), "k": str(2000 + 7 * i), "r": str(1 + i % 64), "trained": str(i % 2)})
        at.run()
        assert not at.exception
        if i == WARM_UP:
            gc.collect()
            baseline = rss_mb()
    gc.collect()
    growth = rss_mb() - baseline
    print(f"memory grew {growth:.1f} MB")
    assert growth < GROWTH_LIMIT_MB, f"memory grew {growth:.1f} MB over {LINKS - WARM_UP} further distinct links"

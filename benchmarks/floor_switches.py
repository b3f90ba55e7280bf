"""Page switches in the floor, run on its own: `python -m benchmarks.floor_switches` (about 2 minutes).

The page-switch row of `python -m benchmarks` has a target in seconds, not against a floor, because the floor
pages have no links to switch by. This measures what Streamlit itself needs for the same switches: every page
replaced by its floor with its own title and the sidebar's six page links (benchmarks/floor.py, `linked`),
switched exactly as benchmarks/opening.py switches the app's pages, at both CPU rates.
"""

from __future__ import annotations

from playwright.sync_api import sync_playwright

from tests.support.browser import CHROMIUM_ARGS, chromium, running_app

from .bare import bare_app
from .opening import Switch, switch_table, switches


def run() -> list[Switch]:
    with running_app(root=bare_app(linked=True)) as floor, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        moves = switches(browser, floor)
        browser.close()
    return moves


if __name__ == "__main__":
    print("\n".join(switch_table(run())))

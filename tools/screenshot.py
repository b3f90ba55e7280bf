"""Screenshots of app pages in headless Chromium: python -m tools.screenshot OUT_DIR [PATH?QUERY ...]."""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from harness.browser import CHROMIUM_ARGS, chromium, draw_every_chart, running_app, wait_for_idle

# Tall viewports: Streamlit scrolls inside its own container, so full_page alone shows one screen.
SIZES = {"wide": (1280, 2000), "phone": (360, 3200)}


def main(out_dir: str, paths: list[str]) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with running_app() as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        for scheme in ("light", "dark"):
            for size, (width, height) in SIZES.items():
                page = browser.new_page(viewport={"width": width, "height": height}, color_scheme=scheme)
                for number, path in enumerate(paths, start=1):
                    page.goto(f"{base}/{path}")
                    wait_for_idle(page)
                    draw_every_chart(page)  # a chart is drawn once near the view; the screenshot shows them all
                    name = f'{number}-{(path.split("?")[0] or "home").replace("/", "_")}'
                    target = out / f"{name}-{size}-{scheme}.png"
                    page.screenshot(path=str(target), full_page=True)
                    print(target)
                page.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:] or ["?d=4096&k=4096&r=8", "matrices?d=4096&k=4096&r=8"])

"""Real browser, hostile side: a link's words stay plain text, the share box names the page shown, and the app
serves its charts without writing anywhere outside the checkout."""

import tempfile
from pathlib import Path

import pytest

from harness.browser import (
    CHART,
    chromium,
    CHROMIUM_ARGS,
    NOTICES,
    require_browser,
    running_server,
    wait_for_idle,
)

pytestmark = pytest.mark.browser

# Keys and values Markdown, GFM or Streamlit's own Markdown would turn into a link, an e-mail link, an icon or a colour.
HOSTILE_QUERY = ("https://evil.example/login%23=1&student@evil.example=1&:material/warning:%20Your%20session%20expired=1"
                 "&dtype=:red[alert]&d_hide=1&r_hide=1")


def test_a_links_words_are_shown_as_plain_text(page, app_url):
    page.goto(f"{app_url}/?{HOSTILE_QUERY}")
    wait_for_idle(page)
    notices = page.locator(NOTICES).first.inner_text()
    for words in ("https://evil.example/login#", "student@evil.example", ":material/warning: Your session expired", ":red[alert]"):
        assert words in notices, notices
    main = page.locator('[data-testid="stMain"]')
    assert main.locator('a[href*="evil.example"], a[href^="mailto:"]').count() == 0
    assert main.locator('[data-testid="stText"] [data-testid="stIconMaterial"]').count() == 0


@pytest.mark.parametrize("path, offered", [("Matrices", ""), ("matrice", ""), ("matrices", "matrices")])
def test_the_share_box_offers_the_page_shown_not_the_path_typed(page, app_url, path, offered):
    page.goto(f"{app_url}/{path}?d=100")
    if not offered:  # Streamlit says so in a dialog, then runs the home page
        page.get_by_text("Page not found").wait_for()
        page.keyboard.press("Escape")
    wait_for_idle(page)
    page.get_by_text("Share this view").click()
    link = page.locator('[data-testid="stSidebar"] [data-testid="stCode"]').first.inner_text()
    assert link.startswith(f"{app_url}/{offered}?"), link
    assert "d=100" in link


def test_the_app_writes_nothing_outside_the_checkout_and_draws_its_charts():
    """plotly.js was once copied into a folder of a predictable name under the temporary folder (and reused if it
    was there): it is served from the checkout's static/ folder, so starting the app and drawing a page writes
    nothing to the temporary folder or the home folder."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryDirectory() as home_folder:
        temporary, home = Path(folder), Path(home_folder)
        with running_server(env={"TMPDIR": str(temporary), "HOME": str(home)}) as server, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
            tab = browser.new_page(viewport={"width": 1280, "height": 900})
            tab.goto(f"{server.url}/matrices?d=4096&k=4096&r=8&trained=1")
            wait_for_idle(tab)
            assert tab.locator(CHART).first.locator(".main-svg").count() > 0  # plotly.js loaded and drew
            browser.close()
            assert not any(temporary.iterdir()), sorted(p.name for p in temporary.iterdir())
            assert not any(home.iterdir()), sorted(p.name for p in home.iterdir())

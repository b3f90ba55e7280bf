"""Real browser: `streamlit run` headless on a free port, driven by Debian's Chromium through Playwright."""

import os
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS, running_app, wait_for_idle

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"


def _require_browser():
    problem = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problem = "playwright is not installed"
    if problem is None and not os.path.exists(CHROMIUM):
        problem = f"{CHROMIUM} is missing (apt-get install -y chromium)"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests must run in CI: {problem}")
        pytest.skip(problem)


@pytest.fixture(scope="module")
def app_url():
    _require_browser()
    with running_app() as base:
        yield base


@pytest.fixture()
def page(app_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1280, "height": 1000})
        yield tab
        browser.close()


def query_of(page) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(urlparse(page.url).query).items()}


def metric_texts(page) -> list[str]:
    return page.locator('[data-testid="stMetricValue"]').all_inner_texts()


def test_deep_link_slider_write_back_and_page_switch(app_url, page):
    page.goto(f"{app_url}/matrices?d=4096&k=4096&r=8&dtype=fp16")
    wait_for_idle(page)
    assert page.locator("h1").first.inner_text() == "Matrices to scale"
    assert metric_texts(page) == ["16,777,216", "65,536", "16,842,752", "16,777,216"]
    assert page.locator('[data-testid="stException"]').count() == 0

    slider = page.get_by_role("slider").first
    slider.focus()
    slider.press("ArrowRight")  # rank 8 → 9
    page.wait_for_function("() => new URLSearchParams(location.search).get('r') === '9'")
    wait_for_idle(page)
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stMetricValue]')].some(e => e.innerText === '73,728')")
    assert query_of(page)["r"] == "9" and query_of(page)["dtype"] == "fp16"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "matrices-r9.png"))

    page.get_by_role("link", name="Home").first.click()
    page.wait_for_url(re.compile(r"/\?"))
    wait_for_idle(page)
    assert page.locator("h1").first.inner_text() == "How LoRA saves memory"
    assert query_of(page)["r"] == "9" and query_of(page)["dtype"] == "fp16"
    assert metric_texts(page)[1] == "73,728"
    page.screenshot(path=str(SCREENSHOTS / "home-r9.png"))


def test_hostile_link_shows_a_notice_in_the_browser(app_url, page):
    page.goto(f"{app_url}/matrices?d=-3&r=%3Cscript%3Ealert(1)%3C/script%3E&k=1e40")
    wait_for_idle(page)
    alert = page.locator('[data-testid="stAlert"]').first.inner_text()
    assert "d:" in alert and "r:" in alert and "<script>alert(1)</script>" in alert  # shown as text
    assert page.locator("script:has-text('alert(1)')").count() == 0
    assert page.locator('[data-testid="stException"]').count() == 0
    assert query_of(page)["d"] == "1" and query_of(page)["k"] == "131072"

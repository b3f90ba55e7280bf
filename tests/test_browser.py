"""Real browser: `streamlit run` headless on a free port, driven by Debian's Chromium through Playwright."""

import os
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the fixture below skips or fails with a clear reason
    expect = None

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


def test_deep_link_slider_write_back_and_page_switch(app_url, page):
    page.goto(f"{app_url}/matrices?d=4096&k=4096&r=8&dtype=fp16")
    wait_for_idle(page)
    expect(page.locator("h1").first).to_have_text("Matrices to scale")
    expect(page.locator('[data-testid="stMetricValue"]')).to_have_text(["16,777,216", "65,536", "16,842,752", "16,777,216"])
    assert page.locator('[data-testid="stException"]').count() == 0

    slider = page.get_by_role("slider").first
    slider.focus()
    slider.press("ArrowRight")  # rank 8 → 9
    page.wait_for_function("() => new URLSearchParams(location.search).get('r') === '9'")
    wait_for_idle(page)
    expect(page.locator('[data-testid="stMetricValue"]').nth(1)).to_have_text("73,728")
    assert query_of(page)["r"] == "9" and query_of(page)["dtype"] == "fp16"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "matrices-r9.png"))

    page.get_by_role("link", name="Home").first.click()
    page.wait_for_url(re.compile(r"/\?"))
    wait_for_idle(page)
    expect(page.locator("h1").first).to_have_text("How LoRA saves memory")
    assert query_of(page)["r"] == "9" and query_of(page)["dtype"] == "fp16"
    expect(page.locator('[data-testid="stMetricValue"]').nth(1)).to_have_text("73,728")
    page.screenshot(path=str(SCREENSHOTS / "home-r9.png"))


def test_hostile_link_shows_a_notice_in_the_browser(app_url, page):
    page.goto(f"{app_url}/matrices?d=-3&r=%3Cscript%3Ealert(1)%3C/script%3E&k=1e40")
    wait_for_idle(page)
    expect(page.locator('[data-testid="stAlert"]').first).to_contain_text("d:")
    alert = page.locator('[data-testid="stAlert"]').first.inner_text()
    assert "d:" in alert and "r:" in alert and "<script>alert(1)</script>" in alert  # shown as text
    assert page.locator("script:has-text('alert(1)')").count() == 0
    assert page.locator('[data-testid="stException"]').count() == 0
    assert query_of(page)["d"] == "1" and query_of(page)["k"] == "131072"


def test_merge_animation_plays_in_the_browser_without_a_rerun(app_url, page):
    page.goto(f"{app_url}/merge?trained=1&r=4&step=0")
    wait_for_idle(page)
    page.wait_for_selector(".js-plotly-plot .gtitle", state="attached")  # Plotly draws after the script run ends
    caption = "() => document.querySelector('.js-plotly-plot .gtitle').textContent"
    assert page.evaluate(caption).startswith("W is frozen")

    # Count every message the browser sends the server from now on: a rerun request would be one.
    page.evaluate(
        "() => { window.__sent = 0; const send = WebSocket.prototype.send;"
        " WebSocket.prototype.send = function (...args) { window.__sent += 1; return send.apply(this, args); }; }"
    )
    page.locator(".updatemenu-button", has_text="Play").click()
    page.wait_for_function(f"() => ({caption})().startsWith('Term 2')", timeout=15_000)
    assert page.evaluate("() => window.__sent") == 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "merge-playing.png"))

    # Control: a Streamlit control does talk to the server, so the counter above could have caught a rerun.
    page.locator(".updatemenu-button", has_text="Pause").click()
    slider = page.get_by_role("slider").first
    slider.focus()
    slider.press("ArrowRight")
    page.wait_for_function("() => window.__sent > 0", timeout=15_000)


def test_low_rank_training_shows_progress_and_result(app_url, page):
    page.goto(f"{app_url}/low_rank?spectrum=rank&spectrum_rank=3&r=2&d=20&k=20&steps=200&seed=11")
    wait_for_idle(page)
    progress = page.locator('[data-testid="stProgress"]').first
    expect(progress).to_contain_text("showing r = 2")
    expect(page.locator(".js-plotly-plot")).to_have_count(3)
    expect(page.get_by_text("the best any rank-2 update can do is")).to_be_visible()

    # Another rank: the training already covers it, so the bar and the summary follow at once.
    slider = page.get_by_role("slider").first  # the sidebar's rank
    slider.focus()
    slider.press("ArrowRight")
    page.wait_for_function("() => new URLSearchParams(location.search).get('r') === '3'")
    expect(progress).to_contain_text("showing r = 3")
    expect(page.get_by_text("the best any rank-3 update can do is")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "low-rank-trained.png"))


def test_two_replicas_under_a_base_path_serve_the_same_link():
    """The README's scale-out recipe: replicas share nothing, since every view lives in its link."""
    _require_browser()
    from contextlib import ExitStack

    from playwright.sync_api import sync_playwright

    link = "matrices?d=11008&k=4096&r=16&dtype=fp16"
    with ExitStack() as stack, sync_playwright() as p:
        replicas = [stack.enter_context(running_app(base_path="lora")) for _ in range(2)]
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        seen = []
        for base in replicas:
            assert base.endswith("/lora")
            tab = browser.new_page(viewport={"width": 1280, "height": 900})
            tab.goto(f"{base}/{link}")
            wait_for_idle(tab)
            expect(tab.locator('[data-testid="stMetricValue"]').nth(1)).to_have_text(f"{16 * (11008 + 4096):,}")
            seen.append((tab.locator('[data-testid="stMetricValue"]').all_inner_texts(), query_of(tab)))
        browser.close()
    assert seen[0] == seen[1]

"""Shared test set-up: empty caches for every test (AppTest instances share them in one process), and page
failures raised as exceptions, so that `at.exception` still names them (the visitor sees an error box instead)."""

import pytest

from lora_viz.ui import guard
from harness.browser import CHROMIUM_ARGS, chromium, require_browser, running_app
from lora_viz.ui.display import clear_cache


@pytest.fixture(autouse=True)
def _clear_caches():
    clear_cache()
    yield


@pytest.fixture(autouse=True)
def _failures_raise(request, monkeypatch):
    """A page's error box would hide the exception from AppTest: raise it instead (tests of the box opt out)."""
    if "error_box" not in request.keywords:
        def reraise(title: str) -> None:
            raise

        monkeypatch.setattr(guard, "show_failure", reraise)
    yield


@pytest.fixture(scope="module")
def app_url():
    """The base URL of the app served by `streamlit run` for the browser tests of one module."""
    require_browser()
    with running_app() as base:
        yield base


@pytest.fixture(scope="module")
def browser(app_url):
    """One Chromium for a module's tests, each opening its own tabs (a module uses this or `page`, not both)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture()
def page(app_url):
    """A fresh Chromium tab, 1280×1000."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1280, "height": 1000})
        yield tab
        browser.close()


@pytest.fixture(scope="module")
def server():
    """host:port of the app served by `streamlit run`, for tests that speak Streamlit's protocol to it."""
    with running_app() as base:
        yield base.split("//", 1)[1]

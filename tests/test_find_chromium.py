"""The browser tests find Chromium in one order: $CHROMIUM, the usual Debian and Ubuntu paths, Playwright's own."""

from harness.browser import USUAL_PATHS, find_chromium


def _finder(present: set[str], environ: dict[str, str] | None = None, own: str | None = None) -> str | None:
    return find_chromium(environ or {}, present.__contains__, lambda: own)


def test_the_chromium_variable_comes_first():
    everything = {"/opt/my/chromium", *USUAL_PATHS, "/home/me/.cache/ms-playwright/chrome"}
    assert _finder(everything, {"CHROMIUM": "/opt/my/chromium"}, "/home/me/.cache/ms-playwright/chrome") == "/opt/my/chromium"


def test_a_chromium_variable_that_names_nothing_finds_nothing():
    """A wrong $CHROMIUM is a mistake to report, not a reason to test with another browser."""
    assert _finder({"/usr/bin/chromium"}, {"CHROMIUM": "/nowhere/chromium"}) is None


def test_then_the_usual_paths_in_order():
    assert _finder(set(USUAL_PATHS)) == "/usr/bin/chromium"
    assert _finder({"/usr/bin/chromium-browser", "/snap/bin/chromium"}) == "/usr/bin/chromium-browser"
    assert _finder({"/snap/bin/chromium"}, own="/pw/chrome") == "/snap/bin/chromium"


def test_then_playwrights_own_browser_if_it_was_downloaded():
    assert _finder({"/pw/chrome"}, own="/pw/chrome") == "/pw/chrome"
    assert _finder(set(), own="/pw/chrome") is None  # Playwright knows the path, but never downloaded it
    assert _finder(set(), own=None) is None

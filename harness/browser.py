"""Start the app with `streamlit run` on a free port and open it in Debian's Chromium (tests and tools share this)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from functools import lru_cache
from typing import Callable, Iterator, Mapping

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
# Where Chromium usually is on Debian and Ubuntu (packages chromium, chromium-browser; the snap; Google's build).
USUAL_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/snap/bin/chromium", "/usr/bin/google-chrome",
               "/usr/bin/google-chrome-stable")
HOW_TO_GET_ONE = ("set CHROMIUM to a Chromium or Chrome binary, or install one: apt-get install -y chromium (Debian, "
                  "Ubuntu), or python -m playwright install chromium (macOS, Windows, any Linux)")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def find_chromium(environ: Mapping[str, str], exists: Callable[[str], bool], playwright_own: Callable[[], str | None]) -> str | None:
    """The Chromium to test with: $CHROMIUM if set (and there), then the usual Debian and Ubuntu paths, then the
    browser Playwright installed for itself, if any; None if there is none."""
    if environ.get("CHROMIUM"):
        return environ["CHROMIUM"] if exists(environ["CHROMIUM"]) else None
    for path in USUAL_PATHS:
        if exists(path):
            return path
    own = playwright_own()
    return own if own and exists(own) else None


def _playwright_own() -> str | None:
    """Where Playwright keeps its own Chromium (it may not have downloaded it)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    with sync_playwright() as p:
        return p.chromium.executable_path


@lru_cache(maxsize=1)
def chromium() -> str | None:
    """This machine's Chromium for the browser tests, benchmarks and screenshots (see find_chromium)."""
    return find_chromium(os.environ, os.path.exists, _playwright_own)


def require_browser() -> None:
    """Skip the calling test when Playwright or Chromium is missing, saying how to get them; under CI=true fail."""
    problem = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problem = "playwright is not installed (pip install -r requirements-dev.txt)"
    if problem is None and chromium() is None:
        problem = f"no Chromium found: {HOW_TO_GET_ONE}"
    if problem:
        import pytest

        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests must run in CI: {problem}")
        pytest.skip(problem)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Server:
    url: str  # http://127.0.0.1:<port>[/<base path>]
    pid: int
    log: Path  # what the server printed (removed when it stops)


@contextlib.contextmanager
def running_app(timeout: float = 60.0, base_path: str = "", root: Path = ROOT) -> Iterator[str]:
    """Yield the base URL of a headless `streamlit run app.py` (optionally under a base URL path); stop it afterwards."""
    with running_server(timeout, base_path, root) as server:
        yield server.url


@contextlib.contextmanager
def running_server(timeout: float = 60.0, base_path: str = "", root: Path = ROOT, options: tuple[str, ...] = (),
                   env: dict[str, str] | None = None, port: int | None = None) -> Iterator[Server]:
    """running_app, yielding the server's process id too (benchmarks read its memory); extra `streamlit run` options,
    environment variables and a port (to restart a server where it was) allowed."""
    port = port or free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]
    if base_path:
        command += ["--server.baseUrlPath", base_path]
    command += list(options)
    # As the README's hosting recipe: glibc's per-thread memory arenas fragment under Streamlit's thread-per-run model.
    env = {**os.environ, "MALLOC_ARENA_MAX": "2", **(env or {})}
    # Output goes to a file, not a pipe: an unread pipe fills up under load and stalls the server.
    log = tempfile.NamedTemporaryFile(prefix="lora-viz-server-", suffix=".log", delete=False)
    process = subprocess.Popen(command, cwd=root, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}" + (f"/{base_path}" if base_path else "")
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                    if response.read() == b"ok":
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start:\n{Path(log.name).read_text(errors='replace')}")
            time.sleep(0.2)
        yield Server(base, process.pid, Path(log.name))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        os.unlink(log.name)


CHART = ".lora-viz-chart"  # every chart's Plotly div (static/chart.js); its data-* attributes say what it shows
COUNTS = "table:has(th:text-is('parameters')) strong"  # the matrices page's headline counts, in a table
NOTICES = '[data-testid="stMain"] [data-testid="stText"]'  # a link's notices, as plain text under their warning


@dataclass(frozen=True)
class Chart:
    """The n-th chart of a page: a script evaluated on it gets its Plotly div first; locators look inside it."""

    page: object
    n: int

    @property
    def element(self):
        return self.page.locator(CHART).nth(self.n)

    def evaluate(self, script: str, arg=None):
        return self.element.evaluate(script, arg)

    def wait_for_function(self, script: str, timeout: float = 30_000) -> None:
        self.page.wait_for_function(script, arg=self.element.element_handle(), timeout=timeout)

    def locator(self, selector: str, **kwargs):
        return self.element.locator(selector, **kwargs)

    def bounding_box(self) -> dict:
        return self.element.bounding_box()


def chart(page, n: int = 0) -> Chart:
    """The n-th chart, scrolled into view (a chart out of view is not redrawn) and drawn, to look inside it."""
    element = page.locator(CHART).nth(n)
    element.scroll_into_view_if_needed()
    page.wait_for_function("chart => chart.dataset.inView !== 'false'", arg=element.element_handle())
    wait_for_charts(page)
    return Chart(page, n)


def draw_every_chart(page) -> None:
    """Scroll each chart into view, so that every one is drawn (a full-page screenshot shows them all), then back up."""
    for n in range(page.locator(CHART).count()):
        chart(page, n)
    page.locator("h1").first.scroll_into_view_if_needed()


# True when every chart in view has drawn the figure for the settings now in the URL, and every chart out of view
# has been sent it (it is drawn when it comes into view). Each chart records the settings of the figure it shows
# once Plotly has drawn it, and of the newest figure it was sent; extra URL keys such as embed are ignored.
CHARTS_DRAWN = """() => {
    const url = new URLSearchParams(location.search);
    // Each chart's element (keyed chart-<name>) is there as soon as the script draws it; its chart may come later.
    return [...document.querySelectorAll('.stElementContainer[class*="st-key-chart-"]')].every(box => {
        const chart = box.querySelector('.lora-viz-chart');
        if (!chart) return false;
        // Out of view: sent the figure (drawn when it comes near). Otherwise, or before its first report: drawn.
        const shown = chart.dataset.inView === "false" ? chart.dataset.received : chart.dataset.drawn;
        if (typeof shown !== "string") return false;
        return [...new URLSearchParams(shown)].every(([key, value]) => url.get(key) === value);
    });
}"""
NEXT_PAINT = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


def wait_for_charts(page, timeout_ms: int = 30_000) -> None:
    """Wait until every chart shows the current settings and the browser has painted it."""
    page.wait_for_function(CHARTS_DRAWN, timeout=timeout_ms)
    page.evaluate(NEXT_PAINT)


def wait_for_idle(page, timeout_ms: int = 30_000) -> None:
    """Wait until a page has drawn (every page has a title), Streamlit has finished the script run, every element
    is drawn, and every chart shows the settings in the URL."""
    page.wait_for_selector("h1", timeout=timeout_ms)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout_ms)
    # Streamlit loads each kind of element's code on first use and shows a grey skeleton until then.
    page.wait_for_selector('[data-testid="stSkeleton"]', state="detached", timeout=timeout_ms)
    wait_for_charts(page, timeout_ms)

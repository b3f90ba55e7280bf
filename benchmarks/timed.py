"""A copy of an app whose page scripts time themselves: each run appends its seconds to a log file.

Streamlit can report a run's time itself (page_profile), but only with usage statistics on, which adds
telemetry work to every element and so inflates exactly what we measure. A page timing its own body
adds two clock reads and a line of file output per run, the same for the app and the bare app.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from lora_viz.navigation import PAGES

from .bare import bare_script, twin_path

# Compiled once per server process, as Streamlit compiles a page once (its script cache).
COMPILED = '''from functools import cache


@cache
def compiled(path: str):
    return compile(open(path).read(), path, "exec")
'''

SHIM = '''import time as _time
from _timed_compiled import compiled
_start = _time.perf_counter()
try:
    exec(compiled({source!r}), globals())
finally:
    with open({log!r}, "a") as _log:
        _log.write(f"{{_time.perf_counter() - _start:.6f}}\\n")
'''


_ORIGINALS = "_timed_originals"  # outside pages/, so Streamlit does not list them as pages


def timed_copy(root: Path, log: Path) -> Path:
    """A temporary copy of the app at `root` with every page replaced by a shim that runs and times the original."""
    folder = Path(tempfile.mkdtemp(prefix="lora-viz-timed-"))
    shutil.copytree(root, folder, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".git", "artifacts", "__pycache__", ".pytest_cache"))
    (folder / _ORIGINALS).mkdir()
    (folder / "_timed_compiled.py").write_text(COMPILED)
    for page in PAGES:
        _time_page(folder, page.script, log)
    return folder


def timed_app(root: Path, page_log: Path, bare_log: Path, linked_log: Path) -> Path:
    """timed_copy, plus two twins of each page as pages of the same app: its bare twin (pages/bare_*.py, the floor),
    timing itself to bare_log, and its linked twin (pages/linked_*.py: the floor with the page's title and the six
    page links), timing itself to linked_log.

    Twins in the same server process meet the same interpreter, memory and event loop as the pages. (With a
    bare app in a process of its own, the bare pages' time moved by up to 20% from one run to the next.)
    """
    folder = timed_copy(root, page_log)
    for page in PAGES:
        for linked, log in ((False, bare_log), (True, linked_log)):
            script = f"pages/{twin_path(page.url_path, linked)}.py"
            (folder / script).write_text(bare_script(page.script, beside_the_app=True, linked=linked))
            _time_page(folder, script, log)
    return folder


def _time_page(folder: Path, script: str, log: Path) -> None:
    """Move a page's script aside and put a shim in its place that runs and times it."""
    source = folder / _ORIGINALS / script.replace("/", "__")
    shutil.move(folder / script, source)
    (folder / script).write_text(SHIM.format(source=str(source), log=str(log)))


class TimingLog:
    """Reads the seconds the pages appended since the last read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.write_text("")
        self._seen = 0

    def new(self) -> list[float]:
        lines = self.path.read_text().splitlines()
        fresh, self._seen = lines[self._seen:], len(lines)
        return [float(line) for line in fresh]

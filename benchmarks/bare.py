"""The bare app the benchmarks compare against: every page replaced by its floor (benchmarks/floor.py), a bare
Streamlit page with only the same controls bound to the URL."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from lora_viz.navigation import PAGES

from .floor import floor_script

ROOT = Path(__file__).resolve().parents[1]


def bare_script(page: str, beside_the_app: bool = False, linked: bool = False) -> str:
    """The floor of a page's script; `beside_the_app` when it runs in a copy of the app (which has lora_viz);
    `linked` with its title and page links (see floor_script)."""
    return floor_script(page, "" if beside_the_app else f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n", linked)


def twin_path(url_path: str, linked: bool = False) -> str:
    """The URL path of a page's bare twin inside the app, or of its linked twin (see benchmarks/timed.py: timed_app)."""
    return f"{'linked' if linked else 'bare'}_{url_path or 'home'}"


def bare_app(linked: bool = False) -> Path:
    """A temporary copy of the app's layout (config included) with every page replaced by its floor (`linked`: with
    its title and page links, to switch pages)."""
    folder = Path(tempfile.mkdtemp(prefix="lora-viz-bare-"))
    shutil.copytree(ROOT / ".streamlit", folder / ".streamlit")
    for page in PAGES:
        (folder / page.script).parent.mkdir(parents=True, exist_ok=True)
        (folder / page.script).write_text(bare_script(page.script, linked=linked))
    return folder

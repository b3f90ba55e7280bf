"""The bare app the benchmarks compare against: every page keeps its widgets and does no other work."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from lora_viz.navigation import PAGES

ROOT = Path(__file__).resolve().parents[1]

# Each page's own controls, drawn exactly as the real page draws them; the shared sidebar comes with page_settings.
PAGE_WIDGETS = {
    "app.py": "",
    "pages/lesson.py": 'st.select_slider("Lesson step", options=list(range(9)), key="lesson")',
    "pages/matrices.py": "",
    "pages/merge.py": (
        "from lora_viz.merge.text import phase_names\n"
        'if not settings.trained:\n    ui.trained_switch(settings, "")\n'
        "ui.step_control(settings, phase_names(settings))"
    ),
    "pages/whole_model.py": "ui.whole_model_controls(settings)",
    "pages/low_rank.py": "ui.training_controls(settings)",
}


def bare_script(page: str, beside_the_app: bool = False) -> str:
    """The bare twin of a page's script; `beside_the_app` when it runs in a copy of the app (which has lora_viz)."""
    path = "" if beside_the_app else f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n"
    label = next(info.label for info in PAGES if info.script == page)  # its sidebar's share box names the page
    return (
        f"{path}import streamlit as st\nfrom lora_viz import ui\n"
        f'settings = ui.page_settings({label!r})\nst.title("Bare page")\n{PAGE_WIDGETS[page]}\n'
    )


def twin_path(url_path: str) -> str:
    """The URL path of a page's bare twin inside the app (see benchmarks/timed.py: timed_app)."""
    return f"bare_{url_path or 'home'}"


def bare_app() -> Path:
    """A temporary copy of the app's layout (config included) with every page replaced by its bare page."""
    folder = Path(tempfile.mkdtemp(prefix="lora-viz-bare-"))
    shutil.copytree(ROOT / ".streamlit", folder / ".streamlit")
    for page in PAGES:
        (folder / page.script).parent.mkdir(parents=True, exist_ok=True)
        (folder / page.script).write_text(bare_script(page.script))
    return folder

"""Charts in a lasting frame: a Streamlit component that keeps its Plotly chart and updates it in place.

st.plotly_chart gives a changed figure a new element, so the browser rebuilt every chart from scratch on each
slider move (about 40 ms per chart, more with text). This component keeps its chart (its key stays the same)
and calls Plotly.react with the new figure; it is drawn by the plotly.js that the plotly package ships.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Callable

import plotly
import streamlit.components.v1 as components

_SOURCE = Path(__file__).parent / "chart_frame"
_PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _served_folder() -> Path:
    """A folder holding the frame's page, its script and plotly.js (copied once per version of each).

    Streamlit serves a component only from inside its own folder, and plotly.js lives in the plotly package.
    """
    digest = hashlib.sha256()
    for path in (*sorted(_SOURCE.iterdir()), _PLOTLY_JS):
        digest.update(path.name.encode() + path.read_bytes())
    folder = Path(tempfile.gettempdir()) / f"lora-viz-chart-frame-{digest.hexdigest()[:16]}"
    if not folder.is_dir():
        staging = Path(tempfile.mkdtemp(prefix="lora-viz-chart-frame-"))
        for path in (*_SOURCE.iterdir(), _PLOTLY_JS):
            shutil.copyfile(path, staging / path.name)
        try:
            os.replace(staging, folder)  # atomic: another server starting at the same time may win, which is fine
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
    return folder


@lru_cache(maxsize=1)
def _component() -> Callable[..., object]:
    return components.declare_component("chart_frame", path=str(_served_folder()))


def chart_frame(spec: bytes, config_json: str, alt: str, settings_query: str, key: str, request: str = "") -> None:
    """Draw a figure (JSON, UTF-8) in the frame named `key`; the frame records `settings_query` once it is drawn.

    The figure goes as bytes: Streamlit sends bytes as they are, where a string would be escaped into the
    arguments' JSON on every run and parsed out of it again in the browser. A non-empty `request` is sent back
    once as the frame's value, which starts a new run (st.session_state[key] holds it there).
    """
    _component()(spec=spec, config=config_json, alt=alt, settings=settings_query, request=request, key=key, default=None)

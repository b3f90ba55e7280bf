"""Charts in a lasting frame: a Streamlit component that keeps its Plotly chart and updates it in place.

st.plotly_chart gives a changed figure a new element, so the browser rebuilt every chart from scratch on each
slider move (about 40 ms per chart, more with text). This component keeps its chart (its key stays the same)
and calls Plotly.react with the new figure; it is drawn by the plotly.js pinned in chart_frame/ (the version the
plotly package ships, so every figure it builds draws as Plotly means it).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Callable

import streamlit.components.v1 as components

# The frame's page, its script and a pinned plotly.js, served from the checkout as they are: nothing is copied or
# written at run time (Streamlit serves a component only from inside its own folder).
FOLDER = Path(__file__).parent / "chart_frame"
PLOTLY_JS = FOLDER / "plotly.min.js"


@lru_cache(maxsize=1)
def _component() -> Callable[..., object]:
    return components.declare_component("chart_frame", path=str(FOLDER))


def chart_frame(spec: bytes, config_json: str, alt: str, settings_query: str, key: str, request: str = "", text_scale: float = 1.0) -> None:
    """Draw a figure (JSON, UTF-8) in the frame named `key`, every text size times `text_scale`; the frame records
    `settings_query` once it is drawn.

    The figure goes as bytes: Streamlit sends bytes as they are, where a string would be escaped into the
    arguments' JSON on every run and parsed out of it again in the browser. A non-empty `request` is sent back
    once as the frame's value, which starts a new run (st.session_state[key] holds it there).
    """
    _component()(spec=spec, config=config_json, alt=alt, settings=settings_query, request=request, textScale=text_scale, key=key, default=None)

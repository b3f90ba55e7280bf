"""Charts drawn in the app's page: a Streamlit component that keeps its Plotly chart and updates it in place.

st.plotly_chart gives a changed figure a new element, so the browser rebuilt every chart from scratch on each
slider move. This component keeps its chart (its key stays the same) and calls Plotly.react with the new figure.
It is mounted in the page itself (st.components.v2, no iframe), so every chart of a browser tab shares one
plotly.js: the pinned copy in static/ (the version the plotly package builds figures for), served by Streamlit's
static file serving and loaded once per tab by the component's small script (static_loader.js).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Callable

import streamlit as st

# Served from the checkout as they are (server.enableStaticServing): nothing is copied or written at run time.
STATIC = Path(__file__).resolve().parents[2] / "static"
PLOTLY_JS = STATIC / "plotly.min.js"
CHART_JS = STATIC / "chart.js"
LOADER = Path(__file__).with_name("static_loader.js")  # the preview's element uses it too (rank_preview.py)


@lru_cache(maxsize=1)
def _component() -> Callable[..., object]:
    # In the page's own styles (no shadow root): plotly.js puts its styles in the document and measures text there.
    return st.components.v2.component("lora_viz_chart", js=LOADER.read_text(encoding="utf-8"), isolate_styles=False)


def static_url(name: str) -> str:
    """Where Streamlit serves a file of static/ (under the app's base URL path, if it has one)."""
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/app/static/{name}" if base else f"/app/static/{name}"


def loader_args(entry: str, *scripts: Path) -> dict:
    """What static_loader.js reads first: the scripts of static/ to load (once per tab), and the window property
    the last one defines."""
    return {"scripts": [static_url(script.name) for script in scripts], "entry": entry}


def _ignore() -> None:
    """The request is read from the chart's state (see display.figure); nothing to do when it changes."""


def mount_chart(spec: bytes, config_json: str, alt: str, settings_query: str, key: str, request: str = "", text_scale: float = 1.0,
                fit_screen: bool = False) -> None:
    """Draw a figure (JSON, UTF-8) in the chart named `key`, every text size times `text_scale`, with `fit_screen` no
    taller than the screen leaves below its top; the chart records `settings_query` once it is drawn.

    The figure goes as bytes after a line of JSON with the rest: Streamlit sends bytes as they are, where a string
    would be escaped into the data's JSON on every run and parsed out of it again in the browser. A non-empty
    `request` is set once as the chart's state `request`, which starts a new run (see display.figure).
    """
    args = {"config": config_json, "alt": alt, "settings": settings_query, "request": request, "textScale": text_scale,
            "fitScreen": fit_screen, **loader_args("loraVizChart", PLOTLY_JS, CHART_JS)}
    data = json.dumps(args, separators=(",", ":")).encode() + b"\n" + spec
    _component()(data=data, key=key, default={"request": ""}, on_request_change=_ignore)

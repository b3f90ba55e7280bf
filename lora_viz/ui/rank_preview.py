"""The rank slider's preview while it is dragged: an invisible element beside the slider that holds what every
reachable rank shows (lora_viz.preview) and draws it as the thumb moves (static/rank_preview.js, loaded once per tab
by the same small script as the charts, static_loader.js).

Its data depends on the few settings it reads (preview.preview_settings), not on the rank itself, so a rank move, or a
move of any setting it does not read, reads it from the shared cache. It is sent deflated; one with sketches is still
over Streamlit's 10 KB message-cache threshold, so a browser that holds it is not sent it again.
"""

from __future__ import annotations

import json
import logging
import zlib
from functools import lru_cache
from typing import Callable

import streamlit as st

from ..cache import RESULTS
from ..navigation import PageInfo
from ..preview import PREVIEWED, preview_ranks, preview_settings, rank_preview
from ..settings import Settings
from .chart_component import LOADER, STATIC, loader_args

SCRIPT = STATIC / "rank_preview.js"
LOG = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _component() -> Callable[..., object]:
    # In the page itself (no iframe): it finds the slider's thumb and the page's charts and numbers there.
    return st.components.v2.component("lora_viz_rank_preview", js=LOADER.read_text(encoding="utf-8"), isolate_styles=False)


Later = Callable[[], None]  # what a page sends once its body has run


def reserve_rank_preview(s: Settings, page: PageInfo) -> Later:
    """What sends the page's preview: the page calls it once its body has run, because a new preview is the run's
    longest build (a tenth of a second at the largest) and the page comes first. The element is hidden and finds the
    slider by its key, so it goes at the sidebar's end, with no placeholder kept for it (one message less a run)."""
    if page.url_path not in PREVIEWED:
        return lambda: None
    return lambda: _send(s, page)


def _send(s: Settings, page: PageInfo) -> None:
    """Send the page's preview, if it has one (cached, like a figure, in the cache all sessions share). The preview is
    an aid to the slider, not the page: if it cannot be built, the page stays as drawn and the log keeps why."""
    try:
        _send_preview(s, page)
    except Exception:
        LOG.exception("The rank preview of %r could not be built", page.label)


def _send_preview(s: Settings, page: PageInfo) -> None:
    ranks = preview_ranks(s)
    read = preview_settings(page.url_path, s)  # the preview reads the ranks it is given, never the settings' own
    data = RESULTS.get(("rank_preview", page.url_path, read, ranks), lambda: _bytes(page.url_path, read, ranks))
    if data:
        args = json.dumps(loader_args("loraVizRankPreview", SCRIPT), separators=(",", ":")).encode()
        with st.sidebar:
            _component()(data=args + b"\n" + data, key="lora-viz-rank-preview")


def _bytes(page: str, s: Settings, ranks: tuple[int, ...]) -> bytes:
    """The preview's JSON, deflated (zlib; the browser inflates it): every run hashes what a component is sent, twice
    (its identity and the message cache), so a quarter of the bytes or less is that much less work on every move."""
    preview = rank_preview(page, s, ranks)
    return zlib.compress(preview.as_json().encode(), 6) if preview else b""

"""The rank slider's preview while it is dragged: an invisible element beside the slider that holds what every
reachable rank shows (lora_viz.preview) and draws it as the thumb moves (rank_preview.js).

Its data depends on the settings but not on the rank itself, so a rank move reads it from the shared cache. Streamlit
still sends the element, with its script, on every run (it keeps only messages over 10 KB in its message cache): the
benchmarks measured 7–14 KiB and about 4 ms of server time more per move.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Callable

import streamlit as st

from ..cache import RESULTS
from ..navigation import PageInfo
from ..preview import PREVIEWED, preview_ranks, rank_preview
from ..settings import Settings

SCRIPT = Path(__file__).with_name("rank_preview.js")


@lru_cache(maxsize=1)
def _component() -> Callable[..., object]:
    # In the page itself (no iframe): it finds the slider's thumb and the page's charts and numbers there.
    return st.components.v2.component("lora_viz_rank_preview", js=SCRIPT.read_text(encoding="utf-8"), isolate_styles=False)


def rank_preview_element(s: Settings, page: PageInfo) -> None:
    """Send the page's preview, if it has one (cached, like a figure, in the cache all sessions share)."""
    if page.url_path not in PREVIEWED:
        return
    ranks = preview_ranks(s)
    unranked = replace(s, r=ranks[0])  # the preview reads the ranks it is given, never the settings' own
    data = RESULTS.get(("rank_preview", page.url_path, unranked, ranks), lambda: _bytes(page.url_path, unranked, ranks))
    if data:
        _component()(data=data, key="lora-viz-rank-preview")


def _bytes(page: str, s: Settings, ranks: tuple[int, ...]) -> bytes:
    preview = rank_preview(page, s, ranks)
    return preview.as_json().encode() if preview else b""

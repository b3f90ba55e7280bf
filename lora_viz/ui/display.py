"""Display helpers: headline numbers, tables, links, and figures (cached by the settings they depend on)."""

from __future__ import annotations

from typing import Any, Callable, Hashable

import plotly.graph_objects as go
import streamlit as st

from .. import figures, merge, merge_figures, model_figures
from ..cache import LruCache
from ..figures import FigureSpec
from ..settings import Settings, to_query
from ..site import PAGES
from ..summary import Headline

# The core's heavier results, by name, each cached under the settings it really depends on,
# so that moving an unrelated control is a cache hit.
_CACHED = {
    "scale_figure": (figures.scale_figure, figures.drawing_settings),
    "magnifier_figure": (figures.magnifier_figure, figures.drawing_settings),
    "delta_figure": (figures.delta_figure, figures.drawing_settings),
    "merge_animation": (merge_figures.merge_animation, merge.example_settings),
    "spectra_figure": (merge_figures.spectra_figure, merge.example_settings),
    "two_adapters_figure": (merge_figures.two_adapters_figure, merge.example_settings),
    "compare_outputs": (merge.compare_outputs, merge.sample_settings),
    "block_figure": (model_figures.block_figure, model_figures.model_settings),
    "memory_figure": (model_figures.memory_figure, model_figures.model_settings),
}


# Our own cache rather than st.cache_data: a hit hands back the same object (no unpickling, which costs
# more than building most figures) under a key that hashes in microseconds. Nothing changes the values.
_RESULTS: LruCache[Hashable, Any] = LruCache(size=64)


def cached(name: str, s: Settings) -> Any:
    """A core result by name, cached by a small key (64 entries at most, so memory stays bounded), shared by all sessions."""
    make, reduce_to_key = _CACHED[name]
    key = reduce_to_key(s)
    return _RESULTS.get((name, key), lambda: make(key))


def clear_cache() -> None:
    _RESULTS.clear()


class _Ready(go.Figure):
    """A figure already built as plain data (figures.plot). st.plotly_chart asks a Plotly figure only for
    to_dict(), so this skips rebuilding and re-validating Plotly's objects on every draw."""

    def __init__(self, spec: FigureSpec) -> None:  # deliberately not Figure.__init__: nothing else is asked of it
        object.__setattr__(self, "_spec", spec)

    def to_dict(self) -> FigureSpec:
        return self._spec


def chart(fig: FigureSpec, s: Settings, alt: str, name: str) -> None:
    """A Plotly figure with a text alternative; its only toolbar button saves it as PNG or SVG (the `image` setting)."""
    config = {
        "displaylogo": False,
        "scrollZoom": False,
        "modeBarButtons": [["toImage"]],
        "toImageButtonOptions": {"format": s.image, "filename": f"lora-viz-{name}", "scale": 2},
    }
    st.plotly_chart(_Ready(fig), config=config, alt=alt)


def cached_chart(key: Hashable, build: Callable[[], FigureSpec], s: Settings, alt: str, name: str) -> None:
    """Draw the figure `build` makes, cached under `key` (for figures of results rather than of settings)."""
    chart(_RESULTS.get(key, build), s, alt, name)


def figure(name: str, s: Settings, alt: str, later: str = "") -> None:
    """Draw one of the core's figures (cached). With `later`, a figure not yet cached is computed just after
    this run, which shows `later` meanwhile: the interaction that asked for it answers at once."""
    make, reduce_to_key = _CACHED[name]
    key = (name, reduce_to_key(s))
    if later and key not in _RESULTS:
        st.session_state[_SHOWING_NOTE] = key
        _finish_later(name, s, later)
        return
    chart(cached(name, s), s, alt, name.removesuffix("_figure"))


_SHOWING_NOTE = "_lora_viz_showing_note"


@st.fragment(run_every=0.1)
def _finish_later(name: str, s: Settings, note: str) -> None:
    """Called in a page run: show the note. Run again by itself a moment later: compute, then redraw the page."""
    if st.session_state.pop(_SHOWING_NOTE, None) == (name, _CACHED[name][1](s)):
        st.info(note, icon="⏳")
        return
    cached(name, s)
    st.rerun()


def page_link(script: str, s: Settings) -> None:
    """A link to one page of the app that keeps the current settings."""
    page = next(p for p in PAGES if p.script == script)
    st.page_link(page.script, label=f"**{page.label}** — {page.blurb}", query_params=to_query(s))


def metrics(items: list[Headline], columns: int = 4) -> None:
    """Headline numbers in a row (wrapping on narrow screens), each with its formula in small grey type beneath."""
    for start in range(0, len(items), columns):
        places = st.columns(columns) if columns > 1 else [st]
        for place, item in zip(places, items[start : start + columns]):
            # The formula rides in the metric's delta line, muted and without an arrow: one element per number.
            place.metric(item.label, f"{item.value:,}", delta=item.formula, delta_color="off", delta_arrow="off")

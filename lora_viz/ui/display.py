"""Display helpers: headline numbers, tables, links, and figures (cached by the settings they depend on)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Callable, Hashable
from urllib.parse import urlencode

import plotly.io as pio
import streamlit as st

from ..cache import RESULTS
from ..keys import Builder, key_of
from ..navigation import PAGES
from ..render.markdown import Headline
from ..render.plotly import FigureSpec
from ..settings import Settings, to_query
from .chart_component import mount_chart

PRESENTATION_TEXT_SCALE = 1.5  # presentation mode: chart text 13 px → 19.5 px, like the page's text (state.py)


def builder_name(builder: Builder) -> str:
    """A builder's name in cache keys: its module and name (two pages may have builders of one name)."""
    return f"{builder.__module__}.{builder.__name__}"


def cached(builder: Builder, s: Settings) -> Any:
    """A core result, cached in the one cache all sessions share (lora_viz.cache.RESULTS) under the builder's own key
    (lora_viz.keys): moving a setting it does not declare is a hit. Figures are cached as JSON bytes instead, by
    `chart`."""
    key = key_of(builder, s)
    return RESULTS.get((builder_name(builder), key), lambda: builder(key))


def clear_cache() -> None:
    RESULTS.clear()


def figure_json(spec: FigureSpec) -> str:
    """A figure as the JSON plotly.js reads (compact; NaN as null, as Plotly's own encoder writes it)."""
    try:
        return json.dumps(spec, separators=(",", ":"), allow_nan=False)
    except ValueError:
        return pio.to_json(spec, validate=False)


def figure_bytes(spec: FigureSpec) -> bytes:
    """The figure's JSON as the chart receives it (UTF-8 bytes)."""
    return figure_json(spec).encode()


def shown_settings(depends_on: Settings, s: Settings) -> str:
    """The settings a figure shows, as URL parameters: those of its reduced settings that agree with the page's.

    Its frame records them once drawn (tests wait for the URL's); unchanged, they let an unchanged figure's
    message be the same as before, which Streamlit then does not send again.
    """
    agree = frozenset(key for key, value in vars(depends_on).items() if getattr(s, key) == value)
    return _query_string(depends_on, agree)


@lru_cache(maxsize=256)
def _query_string(s: Settings, keys: frozenset[str]) -> str:
    """Those of the settings' URL parameters named in keys, URL-encoded (cached: charts ask on every run)."""
    return urlencode({key: value for key, value in to_query(s).items() if key in keys})


def _chart(key: Hashable, build: Callable[[], FigureSpec], s: Settings, depends_on: Settings, alt: str, name: str, request: str = "",
          main: bool = False) -> None:
    """The figure `build` makes from `depends_on` (the settings reduced to what it needs), cached as JSON under
    `key`, with a text alternative; its only toolbar button saves it as PNG or SVG (the `image` setting).
    With `request`, the chart asks for a run that computes the real figure (see `figure`). A page's `main` figure
    fits the screen in presentation mode (a projector shows it whole, without scrolling)."""
    config = {
        "displaylogo": False,
        "scrollZoom": False,
        "modeBarButtons": [["toImage"]],
        "toImageButtonOptions": {"format": s.image, "filename": f"lora-viz-{name}", "scale": 2},
    }
    spec = RESULTS.get(key, lambda: figure_bytes(build()))
    scale = PRESENTATION_TEXT_SCALE if s.present else 1.0
    mount_chart(spec, json.dumps(config), alt, shown_settings(depends_on, s), key=_chart_key(name), request=request, text_scale=scale,
                fit_screen=main and s.present)


def figure_kept(builder: Builder, s: Settings) -> bool:
    """True if the figure of s is in the cache all sessions share (drawing it costs no build)."""
    return (builder_name(builder), key_of(builder, s)) in RESULTS


def figure_requested(builder: Builder, s: Settings) -> bool:
    """True if the figure's stand-in asked for this run (see `figure`): the run then computes the figure."""
    return _requested(_chart_name(builder)) == _request(key_of(builder, s))


def _chart_name(builder: Builder) -> str:
    """A figure's chart is named after its builder: "delta" for delta_figure."""
    return builder.__name__.removesuffix("_figure")


def _request(key: Settings) -> str:
    """What names a figure's key: the chart sets it as its state to ask for the figure."""
    return urlencode(to_query(key))


def _chart_key(chart_name: str) -> str:
    """The chart's widget key: its state holds the request it sent (see `figure`)."""
    return f"chart-{chart_name}"


def _requested(chart_name: str) -> str:
    """The request a chart last sent (its state `request`; see chart_component.mount_chart), or ''."""
    state = st.session_state.get(_chart_key(chart_name))
    try:
        return str(state["request"]) if state else ""
    except (KeyError, TypeError):
        return ""


def figure(builder: Builder, s: Settings, alt: str, later: str = "", stand_in: Builder | None = None,
           of: Settings | None = None, main: bool = False, name: str = "") -> None:
    """Draw one of the core's figures (a builder declared with lora_viz.keys.depends_on, cached by its key), of the
    page's settings `s` or, with `of`, of other settings (the chart then records only the settings it shares with
    the page). Its chart is named `name`, or after the builder ("delta" for delta_figure).

    With `later` and a `stand_in` builder, a figure not yet cached is computed in a run of its own: this run draws the
    stand-in and shows `later`, and once the slider has settled (a quarter of a second) the stand-in's frame asks for
    the next run, which computes and draws the figure. The interaction that asked for it answers at once, and the
    stand-in keeps the figure's chart on the page, so the browser need not build it again. Draw such a figure last
    on its page: a request that came early would cut short a run still going.
    """
    key = key_of(builder, of or s)
    cache_key = (builder_name(builder), key)
    chart_name = name or _chart_name(builder)
    if later and stand_in and cache_key not in RESULTS:
        request = _request(key)
        if _requested(chart_name) != request:
            pending = key_of(stand_in, s)
            _chart((builder_name(stand_in), pending), lambda: stand_in(pending), s, pending, later, chart_name, request)
            st.info(later, icon="⏳")
            return
    _chart(cache_key, lambda: builder(key), s, key, alt, chart_name, main=main)


def open_view(label: str, s: Settings, key: str) -> None:
    """A button that opens one view on this page: it writes the view's link into the address, and the next run reads
    it as a new link. (A page link to the page it is on reran with the link's query but left the address bar as it
    was, so the address no longer matched the view.)"""
    st.button(label, key=key, on_click=st.query_params.from_dict, args=(to_query(s),))


def page_link(script: str, s: Settings) -> None:
    """A link to one page of the app that keeps the current settings."""
    page = next(p for p in PAGES if p.script == script)
    st.page_link(page.script, label=f"**{page.label}** — {page.blurb}", query_params=to_query(s))


def metrics(items: list[Headline], width: int = 330) -> None:
    """Headline numbers side by side, each `width` pixels wide (its formula stays whole) and wrapping to the next row
    where the page is narrower (one to a row on a phone), each with its formula in small grey type beneath."""
    # One horizontal container rather than columns: one element for the row instead of one per column.
    with st.container(horizontal=True, wrap=True, gap="medium"):
        for item in items:
            # The formula rides in the metric's delta line, muted and without an arrow: one element per number.
            st.metric(item.label, f"{item.value:,}", delta=item.formula, delta_color="off", delta_arrow="off", width=width)

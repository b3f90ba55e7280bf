"""Figures as the plain JSON-ready dicts plotly.js draws, and the helpers every page's figures share."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
from plotly.colors import diverging

from .geometry import Box

# Red–blue diverging: readable with red–green colour blindness; white is exactly zero. Spelled out as
# colour stops, because figures skip Plotly's checks, which would otherwise expand the name for plotly.js.
COLORSCALE = [[i / 10, color] for i, color in enumerate(reversed(diverging.RdBu))]
FROZEN_COLOR = "#4c78a8"


TRAINED_COLOR = "#e45756"


FigureSpec = dict[str, Any]  # a Plotly figure as plain data: {"data": [...], "layout": {...}, "frames": [...]}


def stand_in(height: int, top: int, note: str) -> FigureSpec:
    """A chart's place at its figure's height (and top margin), with one grey note, while its figure is computed: the
    chart stays on the page, so it is not rebuilt when the figure comes."""
    layout = dict(
        height=height,
        margin=dict(l=10, r=10, t=top, b=10),
        xaxis=dict(visible=False, range=[0, 1]),
        yaxis=dict(visible=False, range=[0, 1]),
        annotations=[dict(x=0.5, y=0.5, text=note, showarrow=False, font=dict(size=13, color="#888"))],
        dragmode=False,
    )
    return plot([], layout)


def plot(data: list[dict], layout: dict, frames: list[dict] | None = None) -> FigureSpec:
    """A finished figure as the JSON-ready dict plotly.js draws, arrays packed (static/chart.js adds the app's theme).

    Built without Plotly's per-property checks, which cost more than the drawing itself;
    tests/test_figures.py runs every figure through them instead.
    """
    return {
        "data": [packed(trace) for trace in data],
        "layout": layout,
        "frames": [{**frame, "data": [packed(trace) for trace in frame["data"]]} for frame in frames or []],
    }


def packed(trace: dict) -> dict:
    """The trace with its NumPy arrays as plotly.js typed arrays (base64: a quarter the size of a list, and quick)."""
    return {key: typed_array(value) if isinstance(value, np.ndarray) else value for key, value in trace.items()}


def typed_array(values: np.ndarray) -> dict:
    """{dtype, bdata, shape}: plotly.js's typed array, little-endian bytes in base64."""
    if values.dtype.kind in "iub" and (values.size == 0 or np.abs(values).max() < 2**31):
        values, code = values.astype("<i4"), "i4"
    elif values.dtype == np.float32:
        values, code = values.astype("<f4"), "f4"
    else:
        values, code = values.astype("<f8"), "f8"
    spec = {"dtype": code, "bdata": base64.b64encode(values.tobytes()).decode("ascii")}
    if values.ndim > 1:
        spec["shape"] = ", ".join(str(n) for n in values.shape)
    return spec


def hline(y: float, line: dict, text: str) -> tuple[dict, dict]:
    """A horizontal line across the plot at y, and its label at the right end (as Plotly's add_hline draws them)."""
    shape = dict(type="line", xref="x domain", x0=0, x1=1, yref="y", y0=y, y1=y, line=line)
    note = dict(xref="x domain", x=1, yref="y", y=y, text=text, showarrow=False, xanchor="right", yanchor="bottom")
    return shape, note


def vline(x: float, line: dict, text: str) -> tuple[dict, dict]:
    """A vertical line up the plot at x, and its label at the top (as Plotly's add_vline draws them)."""
    shape = dict(type="line", xref="x", x0=x, x1=x, yref="y domain", y0=0, y1=1, line=line)
    note = dict(xref="x", x=x, yref="y domain", y=1, text=text, showarrow=False, xanchor="left", yanchor="top")
    return shape, note


# DoRA's magnitudes are lengths, not weights: a colour scale of their own, from white at 0 to dark red. Four stops, an
# even number: the dark theme darkens the middle of a diverging scale (static/chart.js darkMiddle), which has odd ones.
MAGNITUDE_COLORSCALE = [[0.0, "rgb(255, 245, 240)"], [1 / 3, "rgb(252, 146, 114)"], [2 / 3, "rgb(239, 59, 44)"],
                        [1.0, "rgb(103, 0, 13)"]]


def heatmap(values: np.ndarray, x_edges: np.ndarray, y_edges: np.ndarray, name: str, what: str) -> dict:
    """A heatmap whose cells span the given edges exactly (uneven last block included)."""
    return dict(
        type="heatmap",
        z=values.astype(np.float32),
        x=x_edges.astype(np.float64),  # edges stay exact; there are only blocks + 1 of them
        y=y_edges.astype(np.float64),
        coloraxis="coloraxis",
        name=name,
        hovertemplate=f"{name}: {what} %{{z:.4f}}<extra></extra>",
    )


def outline(box: Box, color: str, dash: str = "solid") -> dict:
    return dict(type="rect", x0=box.x0, x1=box.x1, y0=box.y0, y1=box.y1, line=dict(color=color, width=1.5, dash=dash))


Arrow = tuple[tuple[float, float], tuple[float, float]]  # from (x, y) to (x, y), in data units


def arrows(segments: list[Arrow], color: str = "#888") -> dict:
    """Arrows as one line trace with arrowheads at the ends: cheaper to draw than annotation arrows (no text to
    measure), which matters because the drawing is redrawn on every rank move."""
    xs, ys, sizes = [], [], []
    for (x0, y0), (x1, y1) in segments:
        xs += [x0, x1, None]
        ys += [y0, y1, None]
        sizes += [0, 9, 0]
    return dict(
        type="scatter", mode="lines+markers", x=xs, y=ys, line=dict(color=color, width=1.2),
        marker=dict(symbol="arrow", angleref="previous", size=sizes, color=color),
        hoverinfo="skip", showlegend=False, cliponaxis=False,
    )


def label(x: float, y: float, text: str, anchor: str = "center", yanchor: str = "bottom") -> dict:
    return dict(x=x, y=y, xref="x", yref="y", text=text, showarrow=False, xanchor=anchor, yanchor=yanchor, font=dict(size=13))


def equal_scale_layout(x_range: tuple[float, float], y_range: tuple[float, float], height: int, limit: float, top: int = 30) -> dict:
    """Same pixels per unit on both axes (scaleanchor), rows growing downwards, one shared colour scale.

    No colour bar: the caption says what the colours mean and hovering a cell gives its number. A colour bar is
    text and an axis to lay out again on every redraw, and it squeezes the drawing on a phone.
    """
    return dict(
        height=height,
        margin=dict(l=10, r=10, t=top, b=10),
        xaxis=dict(range=list(x_range), visible=False, constrain="domain"),
        yaxis=dict(range=[y_range[1], y_range[0]], visible=False, scaleanchor="x", scaleratio=1, constrain="domain"),
        coloraxis=dict(colorscale=COLORSCALE, cmin=-limit, cmax=limit, cmid=0, showscale=False),
        showlegend=False,
        dragmode=False,
    )


def symmetric_limit(*arrays: np.ndarray) -> float:
    biggest = max(float(np.abs(a).max()) if a.size else 0.0 for a in arrays)
    return biggest if biggest > 0 else 1.0


def stacked(top: FigureSpec, bottom: FigureSpec) -> FigureSpec:
    """Two equal-scale figures as one, the second beneath the first on axes, colour scale and title of its own.

    One chart rather than two: each chart costs the browser a redraw of its own on every rank move.
    """
    upper, lower = top["layout"], bottom["layout"]
    plot_px = [fig["height"] - fig["margin"]["t"] - fig["margin"]["b"] for fig in (upper, lower)]
    between = upper["margin"]["b"] + lower["margin"]["t"]
    total = plot_px[0] + between + plot_px[1]  # the combined plot area, in pixels

    def second(ref: str) -> str:
        return {"x": "x2", "y": "y2"}.get(ref, ref)

    traces = [{**trace, "xaxis": "x2", "yaxis": "y2", "coloraxis": "coloraxis2"} for trace in bottom["data"]]
    shapes = [{**shape, "xref": second(shape.get("xref", "x")), "yref": second(shape.get("yref", "y"))} for shape in lower.get("shapes", [])]
    notes = [{**note, "xref": second(note["xref"]), "yref": second(note["yref"])} for note in lower.get("annotations", [])]
    if "title" in lower:  # the lower figure's title, as a note above its panel
        title = lower["title"]
        notes.append(dict(xref="paper", yref="paper", x=title.get("x", 0), y=(plot_px[1] + between / 2) / total,
                          text=title["text"], font=title.get("font", {}), showarrow=False, xanchor="left", yanchor="middle"))
    layout = {
        **upper,
        "height": upper["height"] + lower["height"],
        "margin": {**upper["margin"], "b": lower["margin"]["b"]},
        "yaxis": {**upper["yaxis"], "domain": [(plot_px[1] + between) / total, 1]},
        "xaxis2": {**lower["xaxis"], "anchor": "y2"},
        "yaxis2": {**lower["yaxis"], "anchor": "x2", "scaleanchor": "x2", "domain": [0, plot_px[1] / total]},
        "coloraxis2": lower["coloraxis"],
        "shapes": upper.get("shapes", []) + shapes,
        "annotations": upper.get("annotations", []) + notes,
    }
    return {"data": top["data"] + traces, "layout": layout, "frames": []}


# ---------------------------------------------------------------------------------------------------------------
# Linked highlighting. A figure describes, in layout.meta.link, which heatmaps are hover sources and what lights up
# when one of their cells is hovered; static/chart.js does the rest in the browser, across the page's charts.
# Rows and columns travel in matrix coordinates (row 0 … d of the product), so two charts drawn at different
# positions (or one drawn in blocks) agree on what a hovered cell is.

LINK_COLOR = "#f5b700"  # amber: visible on red, blue and white cells, in light and dark themes
LINK_FILL = "rgba(245, 183, 0, 0.25)"  # the same amber, see-through


def link_source(trace: int, row_edges: np.ndarray, column_edges: np.ndarray) -> dict:
    """Hovering cell (i, j) of heatmap `trace` stands for rows row_edges[i]…row_edges[i+1] and the columns likewise."""
    return dict(trace=trace, rows=[int(e) for e in row_edges], cols=[int(e) for e in column_edges])


def row_band(box: Box, xref: str = "x", yref: str = "y") -> dict:
    """Light up the hovered rows across `box` (a factor whose rows are the product's rows)."""
    return dict(kind="rows", x0=box.x0, x1=box.x1, y0=box.y0, xref=xref, yref=yref)


def column_band(box: Box, xref: str = "x", yref: str = "y") -> dict:
    """Light up the hovered columns down `box` (a factor whose columns are the product's columns)."""
    return dict(kind="cols", y0=box.y0, y1=box.y1, x0=box.x0, xref=xref, yref=yref)


def same_cells(box: Box, xref: str = "x", yref: str = "y") -> dict:
    """Light up the hovered cells themselves in `box` (a matrix of the product's shape)."""
    return dict(kind="cells", x0=box.x0, y0=box.y0, xref=xref, yref=yref)


def linked(group: str, sources: list[dict] = (), targets: list[dict] = ()) -> dict:
    """layout.meta for a figure taking part in `group`'s linked highlighting (see static/chart.js)."""
    return dict(link=dict(group=group, sources=list(sources), targets=list(targets), color=LINK_COLOR, fill=LINK_FILL))


# Figures drawn at one scale on both axes: the chart sets their height from the width it has (static/chart.js,
# fitToWidth), with other settings below PHONE_PX (the same width at which the chart keeps presentation mode's
# text at its normal size).
PHONE_PX = 600


def fitted(x_range: tuple[float, float], y_range: tuple[float, float], max_plot_px: int,
           on_a_phone: dict | None = None, presenting: dict | None = None) -> dict:
    """layout.meta's `fit`: the plot's height per pixel of width, its largest height, and the settings (dotted
    paths, e.g. "margin.b") for a phone and for presentation mode."""
    aspect = (y_range[1] - y_range[0]) / (x_range[1] - x_range[0])
    return dict(fit=dict(aspect=aspect, maxPlotHeight=max_plot_px, narrowWidth=PHONE_PX, narrow=on_a_phone or {}, present=presenting or {}))

"""Plotly figures: W, A and B to scale, a magnified corner, and ΔW = A×B, from exact block means."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
from plotly.colors import diverging

from .fields import block_edges
from .geometry import Box, product_block, scale_layout
from .keys import depends_on
from .matrices import grid_means, lora_matrices, product_block_means
from .notation import labels
from .settings import Settings

# Red–blue diverging: readable with red–green colour blindness; white is exactly zero. Spelled out as
# colour stops, because figures skip Plotly's checks, which would otherwise expand the name for plotly.js.
COLORSCALE = [[i / 10, color] for i, color in enumerate(reversed(diverging.RdBu))]
FROZEN_COLOR = "#4c78a8"
TRAINED_COLOR = "#e45756"
MAGNIFIED_CELLS = 12

FigureSpec = dict[str, Any]  # a Plotly figure as plain data: {"data": [...], "layout": {...}, "frames": [...]}


def plot(data: list[dict], layout: dict, frames: list[dict] | None = None) -> FigureSpec:
    """A finished figure as the JSON-ready dict plotly.js draws, arrays packed (the chart frame adds the app's theme).

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


def _heatmap(values: np.ndarray, x_edges: np.ndarray, y_edges: np.ndarray, name: str, what: str) -> dict:
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


def scale_figure(s: Settings) -> FigureSpec:
    """W, up and down at one scale: a cell is the same size in every matrix; values are exact block means."""
    g = scale_layout(s.d, s.k, s.r)
    m = lora_matrices(s.d, s.k, s.r, s.seed, s.trained)
    names = labels(s.notation)
    d_edges, k_edges, r_edges = g.edges(s.d), g.edges(s.k), g.edges(s.r)
    w, up, down = (grid_means(field, g.block) for field in (m.w, m.up, m.down))
    what = "value" if g.block == 1 else "block mean"
    traces = [
        _heatmap(w, k_edges + g.w.x0, d_edges + g.w.y0, "W", what),
        _heatmap(up, r_edges + g.up.x0, d_edges + g.up.y0, names.up, what),
        _heatmap(down, k_edges + g.down.x0, r_edges + g.down.y0, names.down, what),
    ]
    # The classic LoRA picture: x enters at the bottom, W's path and the adapter's path meet in y at the top.
    below = g.down.y1 + g.gap * 0.45
    above = -g.gap * 0.45
    # W's arrows sit right of centre so that its label, bottom-left, stays clear of them.
    w_mid, up_mid, down_mid = g.w.x0 + 0.8 * (g.w.x1 - g.w.x0), (g.up.x0 + g.up.x1) / 2, (g.down.x0 + g.down.x1) / 2
    out_x = (w_mid + up_mid) / 2
    annotations = [
        label(g.w.x0, g.w.y1, f"W  {s.d:,}×{s.k:,}  frozen", anchor="left", yanchor="top"),
        label(g.up.x1, g.up.y1 / 2, f"  {names.up}  {s.d:,}×{s.r:,}  trained", anchor="left", yanchor="middle"),
        label(g.down.x1, g.down.y0, f"{names.down}  {s.r:,}×{s.k:,}  trained", anchor="right"),
        label(out_x, above, f"{names.output}  ({s.d:,} outputs)"),
        label((g.w.x0 + g.down.x1) / 2, below, f"input x  ({s.k:,} values)", yanchor="top"),
    ]
    traces.append(arrows([
        ((w_mid, below), (w_mid, g.w.y1)),
        ((down_mid, below), (down_mid, g.down.y1)),
        ((up_mid, g.down.y0), (up_mid, g.up.y1)),
        ((w_mid, g.w.y0), (out_x, above)),
        ((up_mid, g.up.y0), (out_x, above)),
    ]))
    layout = equal_scale_layout((-g.gap * 0.1, g.width + g.gap * 0.1), (-g.gap * 0.9, g.height + g.gap * 0.5), g.height_px, symmetric_limit(w, up, down), top=10)
    layout.update(
        shapes=[outline(g.w, FROZEN_COLOR), outline(g.up, TRAINED_COLOR), outline(g.down, TRAINED_COLOR)],
        annotations=annotations,
    )
    return plot(traces, layout)


def magnifier_figure(s: Settings) -> FigureSpec:
    """The top-left corner where W, up and down meet, magnified, every square one weight, all at one scale."""
    m = lora_matrices(s.d, s.k, s.r, s.seed, s.trained)
    names = labels(s.notation)
    rows, cols, rank = min(s.d, MAGNIFIED_CELLS), min(s.k, MAGNIFIED_CELLS), min(s.r, MAGNIFIED_CELLS)
    gap = 2.0
    w = m.w.cells(range(rows), range(cols))
    up = m.up.cells(range(rows), range(rank))
    down = m.down.cells(range(rank), range(cols))
    up_x0 = cols + gap
    down_y0 = rows + gap / 2
    traces = [
        _heatmap(w, np.arange(cols + 1), np.arange(rows + 1), "W", "value"),
        _heatmap(up, np.arange(rank + 1) + up_x0, np.arange(rows + 1), names.up, "value"),
        _heatmap(down, np.arange(cols + 1) + up_x0, np.arange(rank + 1) + down_y0, names.down, "value"),
    ]
    layout = equal_scale_layout((-0.5, up_x0 + cols + 0.5), (-3.0, down_y0 + rank + 1.5), 360, symmetric_limit(w, up, down))
    layout.update(
        title=dict(text="Magnified corner: every square is one weight", font=dict(size=13), x=0.01),
        annotations=[
            label(0, 0, f"W<br>{rows}×{cols} of {s.d:,}×{s.k:,}", anchor="left"),
            label(up_x0, 0, f"{names.up}<br>{rows}×{rank} of {s.d:,}×{s.r:,}", anchor="left"),
            label(up_x0 + cols, down_y0 + rank, f"{names.down}: {rank}×{cols} of {s.r:,}×{s.k:,}", anchor="right", yanchor="top"),
        ],
        shapes=[
            outline(Box(0, cols, 0, rows), FROZEN_COLOR),
            outline(Box(up_x0, up_x0 + rank, 0, rows), TRAINED_COLOR),
            outline(Box(up_x0, up_x0 + cols, down_y0, down_y0 + rank), TRAINED_COLOR),
        ],
    )
    return plot(traces, layout)


DRAWN = ("d", "k", "r", "notation", "seed", "trained")  # what the to-scale drawing shows


@depends_on(*DRAWN)
def drawing_figure(s: Settings) -> FigureSpec:
    """The to-scale drawing, with the magnified corner beneath it when a strip is too thin to see."""
    if not scale_layout(s.d, s.k, s.r).needs_magnifier:
        return scale_figure(s)
    return stacked(scale_figure(s), magnifier_figure(s))


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


@depends_on(*DRAWN, "alpha")
def delta_figure(s: Settings) -> FigureSpec:
    """ΔW = (α/r)·up·down at W's scale and grid, from exact block means (O(blocks²·r))."""
    block = product_block(s.d, s.k, s.r)
    m = lora_matrices(s.d, s.k, s.r, s.seed, s.trained)
    names = labels(s.notation)
    d_edges, k_edges = block_edges(s.d, block), block_edges(s.k, block)
    if m.up_is_zero:
        delta = np.zeros((d_edges.size - 1, k_edges.size - 1))
    else:
        delta = (s.alpha / s.r) * product_block_means(m.up, m.down, d_edges, k_edges)
    what = "value" if block == 1 else "block mean"
    cells = "every weight" if block == 1 else f"exact means of {block:,}×{block:,} blocks"
    title = f"ΔW = (α/r)·{names.product}: {s.d:,}×{s.k:,} like W<br>({cells})"
    if m.up_is_zero:
        title = f"ΔW = (α/r)·{names.product} = 0 at initialisation<br>({names.up} starts at zero)"
    layout = equal_scale_layout((0, s.k), (0, s.d), delta_height(s), symmetric_limit(delta), top=55)
    layout.update(title=dict(text=title, font=dict(size=13), x=0.01), shapes=[outline(Box(0, s.k, 0, s.d), TRAINED_COLOR)])
    return plot([_heatmap(delta, k_edges, d_edges, "ΔW", what)], layout)


def delta_height(s: Settings) -> int:
    """ΔW's figure height in pixels: taller for tall matrices, within 240–420."""
    return int(min(420, max(240, 360 * s.d / max(s.d, s.k) + 60)))


@depends_on("d", "k")  # its height
def pending_delta_figure(s: Settings) -> FigureSpec:
    """ΔW's place, at its height, while its block means are computed (the chart stays, so it is not rebuilt).

    The same for every rank, so a rank move sends the stand-in as a message the browser already holds.
    """
    layout = dict(
        height=delta_height(s),
        margin=dict(l=10, r=10, t=55, b=10),
        xaxis=dict(visible=False, range=[0, 1]),
        yaxis=dict(visible=False, range=[0, 1]),
        annotations=[dict(x=0.5, y=0.5, text="ΔW: computing its exact block means…", showarrow=False, font=dict(size=13, color="#888"))],
        dragmode=False,
    )
    return plot([], layout)

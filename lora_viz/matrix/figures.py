"""The matrices page's figures: W, A and B to scale, the magnified corner, ΔW, and rsLoRA's scaling against LoRA's."""

from __future__ import annotations

import math

import numpy as np

from ..keys import depends_on
from ..notation import labels
from ..numbers.counts import scaling, scaling_text
from ..numbers.ranks import rank_options
from ..render.plotly import (
    FROZEN_COLOR,
    LINK_COLOR,
    MAGNITUDE_COLORSCALE,
    TRAINED_COLOR,
    FigureSpec,
    arrows,
    equal_scale_layout,
    heatmap,
    column_band,
    label,
    link_source,
    linked,
    outline,
    plot,
    row_band,
    same_cells,
    stacked,
    stand_in,
    symmetric_limit,
    vline,
)
from ..settings import Settings
from .budget import product_block
from .field import block_edges
from ..render.geometry import Box
from .layout import magnified_corner, scale_layout
from .values import grid_means, lora_matrices, magnitude_example, product_block_means


DELTA_LINK = "delta"  # the linked-highlighting group of ΔW's chart and the drawing of its factors


# What a drawing stresses: LoRA as it is (W frozen, the factors trained), full fine-tuning (W trained, no factors),
# or LoRA with its trained factors lit and W dimmed (the lesson's "what is trained").
ROLES = ("lora", "full", "lit")
LIT_WIDTH = 4  # px: a lit factor's outline, wide enough to see a factor thinner than a pixel
DIMMED = 0.3  # W's opacity while the factors are lit


def scale_figure(s: Settings, role: str = "lora", factor_px: float = 1.5) -> FigureSpec:
    """W, up and down at one scale: a cell is the same size in every matrix; values are exact block means. The
    factors' outlines are `factor_px` wide (wider shows a factor thinner than a pixel as a line)."""
    g = scale_layout(s.d, s.k, s.r, magnitude=s.variant == "dora" and role != "full")
    m = lora_matrices(s.d, s.k, s.r, s.seed, s.trained)
    names = labels(s.notation)
    d_edges, k_edges, r_edges = g.edges(s.d), g.edges(s.k), g.edges(s.r)
    w, up, down = (grid_means(field, g.block) for field in (m.w, m.up, m.down))
    what = "value" if g.block == 1 else "block mean"
    traces = [
        dict(heatmap(w, k_edges + g.w.x0, d_edges + g.w.y0, "W", what), **({"opacity": DIMMED} if role == "lit" else {})),
        heatmap(up, r_edges + g.up.x0, d_edges + g.up.y0, names.up, what),
        heatmap(down, k_edges + g.down.x0, r_edges + g.down.y0, names.down, what),
    ]
    # The classic LoRA picture: x enters at the bottom, W's path and the adapter's path meet in y at the top.
    below = g.down.y1 + g.gap * 0.45
    above = -g.gap * 0.45
    # W's arrows sit right of centre so that its label, bottom-left, stays clear of them.
    w_mid, up_mid, down_mid = g.w.x0 + 0.8 * (g.w.x1 - g.w.x0), (g.up.x0 + g.up.x1) / 2, (g.down.x0 + g.down.x1) / 2
    out_x = (w_mid + up_mid) / 2
    # Labels in short lines, so that on a phone the W arrow (at 0.8 of W's width) passes clear of W's label and the
    # input's label clears it too. up's label goes right of up while there is room for it (a quarter of the width),
    # else inside up, on a backing, where a wide up (r near k) leaves nowhere else.
    up_text = f"{names.up}<br>{s.d:,}×{s.r:,}<br>trained"
    right_of_up = g.magnitude.x1 if g.magnitude else g.up.x1  # DoRA's m stands between up and its label
    if g.magnitude:
        up_text += f"<br><br>m {s.d:,}×1<br>(DoRA)"
    room_right = g.width - right_of_up
    up_label = (label(right_of_up + g.gap * 0.1, (g.up.y0 + g.up.y1) / 2, up_text, anchor="left", yanchor="middle")
                if room_right >= 0.25 * g.width else
                dict(label((g.up.x0 + g.up.x1) / 2, (g.up.y0 + g.up.y1) / 2, up_text, yanchor="middle"), bgcolor="rgba(128, 128, 128, 0.35)"))
    w_state = {"lora": "frozen", "full": "trained: every entry", "lit": "frozen: no gradient"}[role]
    annotations = [
        dict(label(g.w.x0, g.w.y1, f"W  {s.d:,}×{s.k:,}<br>{w_state}", anchor="left", yanchor="top"), align="left"),
        label(out_x if role != "full" else w_mid, above, f"{'y = W·x' if role == 'full' else names.output}  ({s.d:,} outputs)"),
        label((g.w.x0 + g.down.x1) / 2 if role != "full" else w_mid, below, f"input x<br>({s.k:,} values)", yanchor="top"),
    ]
    paths = [((w_mid, below), (w_mid, g.w.y1)), ((w_mid, g.w.y0), (w_mid if role == "full" else out_x, above))]
    shapes = [outline(g.w, TRAINED_COLOR if role == "full" else FROZEN_COLOR)]
    if role == "full":  # full fine-tuning has no factors: W alone, where the LoRA drawings have it
        traces = traces[:1]
    else:
        if role == "lit":
            up_label["text"] = up_label["text"].replace("trained", "<b>trained</b>")
        annotations[1:1] = [up_label, label(g.down.x1, g.down.y0, f"{names.down}  {s.r:,}×{s.k:,}  " + ("<b>trained</b>" if role == "lit" else "trained"), anchor="right")]
        paths += [((down_mid, below), (down_mid, g.down.y1)), ((up_mid, g.down.y0), (up_mid, g.up.y1)), ((up_mid, g.up.y0), (out_x, above))]
        line = dict(line=dict(color=LINK_COLOR, width=LIT_WIDTH)) if role == "lit" else dict(line=dict(color=TRAINED_COLOR, width=factor_px))
        shapes += [dict(outline(g.up, TRAINED_COLOR), **line), dict(outline(g.down, TRAINED_COLOR), **line)]
        if g.magnitude:  # DoRA's m: one column of row lengths, on a colour scale of its own
            magnitude = 1 + grid_means(magnitude_example(s.d, s.seed), g.block)
            traces.append(dict(heatmap(magnitude, np.array([g.magnitude.x0, g.magnitude.x1]), d_edges + g.magnitude.y0, "m",
                                       "magnitude, an example:"), coloraxis="coloraxis3"))
            shapes.append(dict(outline(g.magnitude, TRAINED_COLOR), **line))
    traces.append(arrows(paths))
    layout = equal_scale_layout((-g.gap * 0.1, g.width + g.gap * 0.1), (-g.gap * 0.9, g.height + g.gap * 0.5), g.height_px, symmetric_limit(w, up, down), top=10)
    layout.update(shapes=shapes, annotations=annotations)
    if g.magnitude:
        layout["coloraxis3"] = dict(colorscale=MAGNITUDE_COLORSCALE, cmin=0.0, cmax=float(magnitude.max()), showscale=False)
    if role == "lora":
        # Hovering a block of ΔW (its own chart) lights up the rows of up and the columns of down that make it, and
        # the block of W it is added to.
        layout["meta"] = linked(DELTA_LINK, targets=[row_band(g.up), column_band(g.down), same_cells(g.w)])
    return plot(traces, layout)


def magnifier_figure(s: Settings, role: str = "lora") -> FigureSpec:
    """The top-left corner where W, up and down meet, magnified, every square one weight, all at one scale."""
    m = lora_matrices(s.d, s.k, s.r, s.seed, s.trained)
    names = labels(s.notation)
    rows, cols, rank = magnified_corner(s.d, s.k, s.r)
    gap = 2.0
    w = m.w.cells(range(rows), range(cols))
    up = m.up.cells(range(rows), range(rank))
    down = m.down.cells(range(rank), range(cols))
    up_x0 = cols + gap
    down_y0 = rows + gap / 2
    traces = [
        heatmap(w, np.arange(cols + 1), np.arange(rows + 1), "W", "value"),
        heatmap(up, np.arange(rank + 1) + up_x0, np.arange(rows + 1), names.up, "value"),
        heatmap(down, np.arange(cols + 1) + up_x0, np.arange(rank + 1) + down_y0, names.down, "value"),
    ]
    layout = equal_scale_layout((-0.5, up_x0 + cols + 0.5), (-3.0, down_y0 + rank + 1.5), 360, symmetric_limit(w, up, down))
    lit = dict(line=dict(color=LINK_COLOR, width=LIT_WIDTH)) if role == "lit" else {}
    layout.update(
        title=dict(text="Magnified corner: every square is one weight", font=dict(size=13), x=0.01),
        annotations=[
            label(0, 0, f"W<br>{rows}×{cols} of {s.d:,}×{s.k:,}", anchor="left"),
            label(up_x0, 0, f"{names.up}<br>{rows}×{rank} of {s.d:,}×{s.r:,}", anchor="left"),
            label(up_x0 + cols, down_y0 + rank, f"{names.down}: {rank}×{cols} of {s.r:,}×{s.k:,}", anchor="right", yanchor="top"),
        ],
        shapes=[
            outline(Box(0, cols, 0, rows), FROZEN_COLOR),
            dict(outline(Box(up_x0, up_x0 + rank, 0, rows), TRAINED_COLOR), **lit),
            dict(outline(Box(up_x0, up_x0 + cols, down_y0, down_y0 + rank), TRAINED_COLOR), **lit),
        ],
    )
    if role == "lit":
        traces[0]["opacity"] = DIMMED
    return plot(traces, layout)


DRAWN = ("d", "k", "r", "notation", "seed", "trained", "variant")  # what the to-scale drawing shows (DoRA: its m too)


@depends_on(*DRAWN, "present")
def drawing_figure(s: Settings) -> FigureSpec:
    """The to-scale drawing, with the magnified corner beneath it when a strip is too thin to see (on a projector, in
    presentation mode, the drawing fills the screen alone: squeezed beneath it, the corner's labels ran into it)."""
    return role_drawing(s, "lora", magnify=not s.present)


def role_drawing(s: Settings, role: str, magnify: bool = True) -> FigureSpec:
    """The to-scale drawing in one of its ROLES, with the magnified corner when a factor is too thin to see (unless
    not to `magnify`: then a thin factor shows as its outline, lit)."""
    thin = scale_layout(s.d, s.k, s.r).needs_magnifier
    if role == "full" or not thin:
        return scale_figure(s, role)
    if not magnify:
        return scale_figure(s, role, factor_px=LIT_WIDTH)
    return stacked(scale_figure(s, role), magnifier_figure(s, role))


@depends_on(*DRAWN, "alpha")
def delta_figure(s: Settings) -> FigureSpec:
    """ΔW = (α/r)·up·down (rsLoRA: α/√r) at W's scale and grid, from exact block means (O(blocks²·r))."""
    block = product_block(s.d, s.k, s.r)
    m = lora_matrices(s.d, s.k, s.r, s.seed, s.trained)
    names = labels(s.notation)
    d_edges, k_edges = block_edges(s.d, block), block_edges(s.k, block)
    if m.up_is_zero:
        delta = np.zeros((d_edges.size - 1, k_edges.size - 1))
    else:
        delta = scaling(s.alpha, s.r, s.variant) * product_block_means(m.up, m.down, d_edges, k_edges)
    what = "value" if block == 1 else "block mean"
    cells = "every weight" if block == 1 else f"exact means of {block:,}×{block:,} blocks"
    scale = scaling_text(s.variant)
    title = f"ΔW = ({scale})·{names.product}: {s.d:,}×{s.k:,} like W<br>({cells})"
    if m.up_is_zero:
        title = f"ΔW = ({scale})·{names.product} = 0 at initialisation<br>({names.up} starts at zero)"
    layout = equal_scale_layout((0, s.k), (0, s.d), delta_height(s), symmetric_limit(delta), top=55)
    whole = Box(0, s.k, 0, s.d)
    layout.update(title=dict(text=title, font=dict(size=13), x=0.01), shapes=[outline(whole, TRAINED_COLOR)],
                  meta=linked(DELTA_LINK, [link_source(0, d_edges, k_edges)], [same_cells(whole)]))
    return plot([heatmap(delta, k_edges, d_edges, "ΔW", what)], layout)


@depends_on("d", "k", "r", "alpha")
def scaling_figure(s: Settings) -> FigureSpec:
    """LoRA's α/r against rsLoRA's α/√r at every rank the slider reaches, on log axes, the current rank marked."""
    ranks = np.array(rank_options(min(s.d, s.k), s.r), dtype=np.float64)
    lines = [
        dict(type="scatter", x=ranks, y=np.array([scaling(s.alpha, int(r)) for r in ranks]), name="LoRA: α/r",
             line=dict(color=FROZEN_COLOR, width=2, dash="dash")),
        dict(type="scatter", x=ranks, y=np.array([scaling(s.alpha, int(r), "rslora") for r in ranks]), name="rsLoRA: α/√r",
             line=dict(color=TRAINED_COLOR, width=2.5)),
    ]
    shape, note = vline(s.r, dict(color="#888", width=1, dash="dot"), f"r = {s.r:,}")
    note["x"] = math.log10(s.r)  # plotly.js places a note on a log axis by the logarithm (a shape by the value)
    layout = dict(
        height=300,
        margin=dict(l=10, r=10, t=40, b=10),
        title=dict(text=f"The scaling of ΔW at every rank (α = {s.alpha:g})", font=dict(size=13), x=0.01),
        xaxis=dict(title=dict(text="rank r"), type="log"),
        yaxis=dict(title=dict(text="scaling"), type="log", exponentformat="power"),
        shapes=[shape],
        annotations=[note],
        legend=dict(orientation="h", y=-0.3, yanchor="top"),
        dragmode=False,
    )
    return plot(lines, layout)


def delta_height(s: Settings) -> int:
    """ΔW's figure height in pixels: taller for tall matrices, within 240–420."""
    return int(min(420, max(240, 360 * s.d / max(s.d, s.k) + 60)))


@depends_on("d", "k")  # its height
def pending_delta_figure(s: Settings) -> FigureSpec:
    """ΔW's place, at its height, while its block means are computed (the chart stays, so it is not rebuilt).

    The same for every rank, so a rank move sends the stand-in as a message the browser already holds.
    """
    return stand_in(delta_height(s), 55, "ΔW: computing its exact block means…")

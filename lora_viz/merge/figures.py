"""Plotly figures for the merge page: the animation, the singular values, and the two-adapter mistake."""

from __future__ import annotations

import textwrap

import numpy as np

from ..keys import depends_on
from ..render.geometry import Box
from ..names import float_dtype
from ..notation import Labels, labels
from ..render.plotly import (
    FROZEN_COLOR,
    LINK_COLOR,
    MAGNITUDE_COLORSCALE,
    TRAINED_COLOR,
    FigureSpec,
    equal_scale_layout,
    fitted,
    column_band,
    label,
    link_source,
    linked,
    outline,
    plot,
    row_band,
    same_cells,
    symmetric_limit,
    vline,
)
from ..numbers.counts import scaling_text
from ..settings import Settings
from .core import merge_frames, product_hover, spectra
from .text import frame_caption, frame_name
from .view import EXAMPLE, merge_example, to_example, two_adapters

GAP = 2.0


FRAME_MS = 900
MAX_PLOT_PX = 480  # the animation's plot area at most this tall, however wide the page
# The animation on a phone (narrower than PHONE_PX; see static/chart.js: fitToWidth): the colour bar would take a fifth of the width from
# the cells (the caption says what colours mean), and the two-line labels under the panels need more than the two
# cells' room below them, so the buttons move down; and the caption above the figure moves below the camera button.
ON_A_PHONE = {"coloraxis.showscale": False, "margin.r": 10, "margin.b": 100, "updatemenus.0.pad.t": 40,
              "margin.t": 110, "title.pad.t": 44}  # the caption starts below the camera button, which covered it
# Presentation mode's 1.5× text: the labels under the panels and the buttons need more room, and the colour bar's
# numbers more length.
PRESENTING = {"margin.t": 110, "margin.b": 130, "updatemenus.0.pad.t": 50, "coloraxis.colorbar.len": 1.0}
# What the caption beneath the animation says until a cell is pointed at (static/chart.js writes the cell's sum there).
CAPTION_PROMPT = "Point at a cell of ΔW, W or W′ (tap it on a phone): its r products and their sum appear here."
MACHINE_ZERO_FLOOR = 1e-17  # log axes cannot show 0: smaller singular values are drawn here


def hover_templates(names: Labels, r: int, scale: float, variant: str = "lora") -> tuple[str, str]:
    """ΔW[i,j] = α/r·Σₜ up[i,t]·down[t,j] term by term, and W′[i,j] = W[i,j] + the same; DoRA's W′[i,j] =
    mᵢ·(W + ΔW)[i,j]/‖(W + ΔW)ᵢ‖ (see product_hover's layout)."""
    products = f"{scaling_text(variant)} · Σₜ {names.up}[i,t]·{names.down}[t,j]"
    terms = " + ".join(f"(%{{customdata[{2 + 2 * t}]:.2f}})(%{{customdata[{3 + 2 * t}]:.2f}})" for t in range(r))
    w, delta, merged, m, length = 2 + 2 * r, 3 + 2 * r, 4 + 2 * r, 5 + 2 * r, 6 + 2 * r
    cell = "[%{customdata[0]:.0f},%{customdata[1]:.0f}]"
    delta_template = f"ΔW[i,j] = {products}<br>ΔW{cell} = {scale:.3g} · ({terms})<br>= %{{customdata[{delta}]:.4f}}"
    if variant == "dora":
        merged_template = (
            f"W′[i,j] = mᵢ · (W + ΔW)[i,j] / ‖(W + ΔW)ᵢ‖<br>W′{cell} = %{{customdata[{m}]:.4f}} · "
            f"(%{{customdata[{w}]:.4f}} + %{{customdata[{delta}]:.4f}}) / %{{customdata[{length}]:.4f}}<br>"
            f"= %{{customdata[{merged}]:.4f}}"
        )
    else:
        merged_template = (
            f"W′[i,j] = W[i,j] + {products}<br>W′{cell} = %{{customdata[{w}]:.4f}} + {scale:.3g} · ({terms})<br>"
            f"= %{{customdata[{w}]:.4f}} + %{{customdata[{delta}]:.4f}} = %{{customdata[{merged}]:.4f}}"
        )
    return delta_template + "<br>now shown: %{z:.4f}", merged_template + "<br>now shown: %{z:.4f}"


def _wrap(caption: str, width: int = 58) -> str:
    """Break a caption into lines (Plotly titles do not wrap by themselves)."""
    return "<br>".join(textwrap.wrap(caption, width))


def _cells(values: np.ndarray, x0: float, y0: float, name: str, hover: np.ndarray | None = None, template: str = "",
           caption: bool = False, colours: dict | None = None) -> dict:
    """A matrix's cells, each a unit square from (x0, y0); what a cell holds goes in a tooltip, or with `caption` in
    the caption beneath the figure (static/chart.js), where it hides nothing. Coloured on the weights' shared scale,
    or on a scale of their own (`colours`: the trace's colorscale, zmin and zmax)."""
    rows, cols = values.shape
    said = template or f"{name}: %{{z:.4f}}"
    cells = dict(
        type="heatmap",
        z=values.astype(np.float32),
        x=np.arange(cols + 1, dtype=float) + x0,
        y=np.arange(rows + 1, dtype=float) + y0,
        **(colours or dict(coloraxis="coloraxis")),
        name=name,
        **(dict(hoverinfo="none", meta=dict(caption=said)) if caption else dict(hovertemplate=said + "<extra></extra>")),
    )
    if hover is not None:
        cells["customdata"] = hover.astype(np.float32)
    return cells


@depends_on(*EXAMPLE, "notation", "step", reduce=to_example)
def merge_animation(s: Settings) -> FigureSpec:
    """A to the left of ΔW and B above it (a matrix product), then W, then W′ = W + ΔW; one frame per step.

    Hovering a cell of ΔW, W or W′ lights up the row of A, the column of B and the same cell in the three panels.
    """
    e = merge_example(s)
    names = labels(s.notation)
    frames = merge_frames(e)
    d, k, r = e.size.d, e.size.k, e.size.r
    delta_box = Box(r + GAP, r + GAP + k, r + GAP, r + GAP + d)
    up_box = Box(0, r, delta_box.y0, delta_box.y1)
    down_box = Box(delta_box.x0, delta_box.x1, 0, r)
    w_box = Box(delta_box.x1 + 2 * GAP, delta_box.x1 + 2 * GAP + k, delta_box.y0, delta_box.y1)
    merged_box = Box(w_box.x1 + 2 * GAP, w_box.x1 + 2 * GAP + k, delta_box.y0, delta_box.y1)
    hover = product_hover(e)
    delta_template, merged_template = hover_templates(names, r, e.scale, e.variant)
    magnitude_box = Box(merged_box.x1 + 1.5 * GAP, merged_box.x1 + 1.5 * GAP + 1, delta_box.y0, delta_box.y1)  # DoRA's m, d × 1
    start = frames[s.step]
    traces = [
        _cells(e.up, up_box.x0, up_box.y0, names.up, caption=True),
        _cells(e.down, down_box.x0, down_box.y0, names.down, caption=True),
        _cells(start.delta, delta_box.x0, delta_box.y0, "ΔW", hover, delta_template, caption=True),
        _cells(start.merged, merged_box.x0, merged_box.y0, "W′", hover, merged_template, caption=True),
        _cells(e.w, w_box.x0, w_box.y0, "W", template="W (frozen): %{z:.4f}", caption=True),
    ]
    if e.magnitude is not None:
        # m holds row lengths, not weights: on its own scale from 0 (the weights' would paint it all one colour)
        traces.append(_cells(e.magnitude[:, None], magnitude_box.x0, magnitude_box.y0, "m",
                             template="m (DoRA's magnitude of this row): %{z:.4f}", caption=True,
                             colours=dict(colorscale=MAGNITUDE_COLORSCALE, zmin=0.0, zmax=float(e.magnitude.max()), showscale=False)))
    outlines = [
        outline(up_box, TRAINED_COLOR),
        outline(down_box, TRAINED_COLOR),
        outline(delta_box, TRAINED_COLOR, "dot"),
        outline(w_box, FROZEN_COLOR),
        outline(merged_box, FROZEN_COLOR),
        *([outline(magnitude_box, TRAINED_COLOR)] if e.magnitude is not None else []),
    ]

    def shapes(term: int | None) -> list[dict]:
        """The outlines and the term's column of A and row of B; always as many shapes, the highlight hidden between
        terms, so that every frame replaces the last one's shapes whole (a shorter list left the last term lit)."""
        t = 0 if term is None else term
        column = Box(up_box.x0 + t, up_box.x0 + t + 1, up_box.y0, up_box.y1)
        row = Box(down_box.x0, down_box.x1, down_box.y0 + t, down_box.y0 + t + 1)
        lit = dict(line=dict(color=LINK_COLOR, width=3), visible=term is not None)
        return outlines + [dict(outline(column, LINK_COLOR), **lit), dict(outline(row, LINK_COLOR), **lit)]

    middle = (delta_box.y0 + delta_box.y1) / 2
    big = dict(font=dict(size=22))
    animation = [
        dict(
            name=frame_name(frame, e),
            data=[dict(type="heatmap", z=frame.delta.astype(np.float32)), dict(type="heatmap", z=frame.merged.astype(np.float32))],
            traces=[2, 3],  # only the two panels that change travel with each frame
            layout=dict(title=dict(text=_wrap(frame_caption(frame, e, names, s.alpha))), shapes=shapes(frame.term)),
        )
        for frame in frames
    ]
    # A few large ΔW entries would wash out every other cell: clip the colours at the 98th percentile, and say so.
    every = np.abs(np.concatenate([a.ravel() for a in (e.w, e.up, e.down, frames[-1].delta, frames[-1].merged)]))
    limit = float(np.percentile(every, 98)) or 1.0
    right = magnitude_box.x1 if e.magnitude is not None else merged_box.x1
    x_range, y_range = (-0.5, right + 0.5), (-0.5, delta_box.y1 + 4.0)  # room for the two-line labels below
    # Square cells: the chart sets the height from the width it has (meta.fit); this one is for a 700 px plot.
    fit = fitted(x_range, y_range, MAX_PLOT_PX, ON_A_PHONE, PRESENTING)
    aspect = fit["fit"]["aspect"]
    margin = dict(l=10, r=80, t=80, b=60)  # right: the colour bar; bottom: the Play and Pause buttons
    layout = equal_scale_layout(x_range, y_range, int(min(MAX_PLOT_PX, 700 * aspect)) + margin["t"] + margin["b"], limit)
    layout["margin"] = margin
    # A colour bar here, unlike the matrix drawings: it says where the colours clip.
    layout["coloraxis"].update(showscale=True, colorbar=dict(title=dict(text=f"value<br>clip ±{limit:.2g}"), len=0.6, thickness=10))
    each_cell = [same_cells(box) for box in (delta_box, w_box, merged_box)]
    layout.update(
        # At the top of the figure, in the top margin: anchored to the plot area's top it ran into B. Plotly anchors
        # a title of several lines by its first line, so the pad leaves that line's height above it.
        title=dict(text=_wrap(frame_caption(start, e, names, s.alpha)), font=dict(size=13), x=0.01, xanchor="left", yref="container", y=1.0, yanchor="top", pad=dict(t=22)),
        shapes=shapes(start.term),
        meta=linked("merge", [link_source(trace, np.arange(d + 1), np.arange(k + 1)) for trace in (2, 3, 4)],
                    [row_band(up_box), column_band(down_box), *each_cell]) | fit | dict(caption=CAPTION_PROMPT),
        annotations=[
            # A's name under A, like the other panels'; B's to its left, above A: nothing sits above B to
            # collide with the caption.
            label((up_box.x0 + up_box.x1) / 2, up_box.y1 + 0.3, f"{names.up}<br>{d}×{r}", yanchor="top"),
            label(down_box.x0 - 0.4, (down_box.y0 + down_box.y1) / 2, f"{names.down}<br>{r}×{k}", anchor="right", yanchor="middle"),
            label((delta_box.x0 + delta_box.x1) / 2, delta_box.y1 + 0.3, f"ΔW<br>= ({scaling_text(e.variant)})·{names.product}",
                  yanchor="top"),
            label((w_box.x0 + w_box.x1) / 2, w_box.y1 + 0.3, "W<br>frozen", yanchor="top"),
            label((merged_box.x0 + merged_box.x1) / 2, merged_box.y1 + 0.3,
                  "W′ = m ⊙<br>(W + ΔW)/‖·‖" if e.magnitude is not None else "W′<br>= W + ΔW", yanchor="top"),
            *([label(magnitude_box.x0 + 0.5, magnitude_box.y1 + 0.3, f"m<br>{d}×1", yanchor="top")] if e.magnitude is not None else []),
            dict(label(delta_box.x1 + GAP, middle, "+", yanchor="middle"), **big),
            dict(label(w_box.x1 + GAP, middle, "=", yanchor="middle"), **big),
        ],
        # Play and Pause only: the page's own step control chooses the opening step, from which Play goes on (one
        # step control, not two).
        # Their colours come from the app's theme (static/chart.js), so they read in a dark theme too.
        updatemenus=[
            dict(
                type="buttons",
                active=-1,  # no button drawn as pressed: plotly.js paints a pressed one light blue, in any theme
                direction="left",
                x=0.0,
                y=0.0,
                xanchor="left",
                yanchor="top",
                pad=dict(t=8, r=8),
                buttons=[
                    dict(label="▶ Play", method="animate", args=[[frame_name(frame, e) for frame in frames[s.step:]], dict(frame=dict(duration=FRAME_MS, redraw=True), fromcurrent=True, transition=dict(duration=0))]),
                    dict(label="❚❚ Pause", method="animate", args=[[None], dict(frame=dict(duration=0, redraw=False), mode="immediate", transition=dict(duration=0))]),
                ],
            )
        ],
    )
    return plot(traces, layout, animation)


@depends_on(*EXAMPLE, "notation", "dtype", reduce=to_example)
def spectra_figure(s: Settings) -> FigureSpec:
    """Singular values of ΔW (fp64) and of W′ − W with W′ stored in the chosen float dtype, on a log axis."""
    e = merge_example(s)
    dtype = float_dtype(s.dtype, "fp32")
    sv = spectra(e, dtype)
    index = np.arange(1, sv.delta.size + 1)
    traces = [
        dict(type="scatter", x=index, y=np.maximum(sv.delta, MACHINE_ZERO_FLOOR), mode="markers+lines", name="ΔW = (α/r)·" + labels(s.notation).product + " (fp64)", marker=dict(color=TRAINED_COLOR, size=8)),
        dict(type="scatter", x=index, y=np.maximum(sv.merged_minus_w, MACHINE_ZERO_FLOOR), mode="markers+lines", name=f"W′ − W, W′ stored in {dtype}", marker=dict(color=FROZEN_COLOR, size=7, symbol="diamond")),
    ]
    shape, note = vline(e.size.r + 0.5, dict(dash="dot", color="#888"), f"r = {e.size.r}")
    return plot(traces, dict(
        shapes=[shape],
        annotations=[note],
        height=320,
        margin=dict(l=10, r=10, t=30, b=10),
        xaxis=dict(title=dict(text="singular value index"), **(dict(dtick=1) if index.size <= 24 else {})),
        yaxis=dict(title=dict(text="singular value (log)"), type="log", exponentformat="power"),
        legend=dict(orientation="h", y=1.12),
    ))


@depends_on(*EXAMPLE, "notation", reduce=to_example)
def two_adapters_figure(s: Settings) -> FigureSpec:
    """Correct sum of two adapters, the factor-sum mistake, and the cross terms that separate them, one colour scale."""
    t = two_adapters(s)
    rows, cols = t.correct.shape
    # Each title in two lines, formula over verdict: in one line the three ran into each other on a phone.
    panels = [("A₁B₁ + A₂B₂", "correct", t.correct), ("(A₁+A₂)(B₁+B₂)", "wrong", t.wrong), ("A₁B₂ + A₂B₁", "cross terms", t.cross)]
    if s.notation == "paper":
        panels = [("B₁A₁ + B₂A₂", "correct", t.correct), ("(B₁+B₂)(A₁+A₂)", "wrong", t.wrong), ("B₁A₂ + B₂A₁", "cross terms", t.cross)]
    traces, annotations = [], []
    for index, (formula, verdict, values) in enumerate(panels):
        x0 = index * (cols + GAP)
        traces.append(_cells(values, x0, 0, formula))
        annotations.append(label(x0 + cols / 2, -0.2, f"{formula}<br>({verdict})"))
    x_range, y_range = (-0.5, 3 * cols + 2 * GAP + 0.5), (-4.5, rows + 0.5)
    fit = fitted(x_range, y_range, 320)  # no empty band beneath it on a phone
    layout = equal_scale_layout(x_range, y_range, int(700 * fit["fit"]["aspect"]) + 20, symmetric_limit(t.correct, t.wrong, t.cross), top=10)
    layout["annotations"] = annotations
    layout["meta"] = fit
    return plot(traces, layout)

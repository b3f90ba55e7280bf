"""Plotly figures for the merge page: the animation, the singular values, and the two-adapter mistake."""

from __future__ import annotations

import textwrap

import numpy as np

from ..keys import depends_on
from ..matrix.layout import Box
from ..names import float_dtype
from ..notation import labels
from ..render.plotly import (
    FROZEN_COLOR,
    TRAINED_COLOR,
    FigureSpec,
    equal_scale_layout,
    label,
    outline,
    plot,
    symmetric_limit,
    vline,
)
from ..settings import Settings
from .core import (
    EXAMPLE,
    hover_templates,
    merge_example,
    merge_frames,
    product_hover,
    spectra,
    to_example,
    two_adapters,
)

HIGHLIGHT = "#f5b700"  # amber: visible on red, blue and white cells, in light and dark themes
GAP = 2.0


FRAME_MS = 900
MACHINE_ZERO_FLOOR = 1e-17  # log axes cannot show 0: smaller singular values are drawn here


def _wrap(caption: str, width: int = 58) -> str:
    """Break a caption into lines (Plotly titles do not wrap by themselves)."""
    return "<br>".join(textwrap.wrap(caption, width))


def _cells(values: np.ndarray, x0: float, y0: float, name: str, hover: np.ndarray | None = None, template: str = "") -> dict:
    rows, cols = values.shape
    cells = dict(
        type="heatmap",
        z=values.astype(np.float32),
        x=np.arange(cols + 1, dtype=float) + x0,
        y=np.arange(rows + 1, dtype=float) + y0,
        coloraxis="coloraxis",
        name=name,
        hovertemplate=(template or f"{name}: %{{z:.4f}}") + "<extra></extra>",
    )
    if hover is not None:
        cells["customdata"] = hover.astype(np.float32)
    return cells


@depends_on(*EXAMPLE, "notation", "step", reduce=to_example)
def merge_animation(s: Settings) -> FigureSpec:
    """A to the left of ΔW and B above it (a matrix product), then the W′ panel, which starts as W; one frame per step."""
    e = merge_example(s)
    names = labels(s.notation)
    frames = merge_frames(e, names, s.alpha)
    d, k, r = e.size.d, e.size.k, e.size.r
    delta_box = Box(r + GAP, r + GAP + k, r + GAP, r + GAP + d)
    up_box = Box(0, r, delta_box.y0, delta_box.y1)
    down_box = Box(delta_box.x0, delta_box.x1, 0, r)
    merged_box = Box(delta_box.x1 + 2 * GAP, delta_box.x1 + 2 * GAP + k, delta_box.y0, delta_box.y1)
    hover = product_hover(e)
    delta_template, merged_template = hover_templates(names, r, e.scale)
    start = frames[s.step]
    traces = [
        _cells(e.up, up_box.x0, up_box.y0, names.up),
        _cells(e.down, down_box.x0, down_box.y0, names.down),
        _cells(start.delta, delta_box.x0, delta_box.y0, "ΔW", hover, delta_template),
        _cells(start.merged, merged_box.x0, merged_box.y0, "W′", hover, merged_template),
    ]
    outlines = [
        outline(up_box, TRAINED_COLOR),
        outline(down_box, TRAINED_COLOR),
        outline(delta_box, TRAINED_COLOR, "dot"),
        outline(merged_box, FROZEN_COLOR),
    ]

    def shapes(term: int | None) -> list[dict]:
        if term is None:
            return outlines
        column = Box(up_box.x0 + term, up_box.x0 + term + 1, up_box.y0, up_box.y1)
        row = Box(down_box.x0, down_box.x1, down_box.y0 + term, down_box.y0 + term + 1)
        return outlines + [dict(outline(column, HIGHLIGHT), line=dict(color=HIGHLIGHT, width=3)), dict(outline(row, HIGHLIGHT), line=dict(color=HIGHLIGHT, width=3))]

    middle = (delta_box.y0 + delta_box.y1) / 2
    big = dict(font=dict(size=22))
    animation = [
        dict(
            name=frame.name,
            data=[dict(type="heatmap", z=frame.delta.astype(np.float32)), dict(type="heatmap", z=frame.merged.astype(np.float32))],
            traces=[2, 3],  # only the two panels that change travel with each frame
            layout=dict(title=dict(text=_wrap(frame.caption)), shapes=shapes(frame.term)),
        )
        for frame in frames
    ]
    # A few large ΔW entries would wash out every other cell: clip the colours at the 98th percentile, and say so.
    every = np.abs(np.concatenate([a.ravel() for a in (e.w, e.up, e.down, frames[-1].delta, frames[-1].merged)]))
    limit = float(np.percentile(every, 98)) or 1.0
    x_range, y_range = (-0.5, merged_box.x1 + 0.5), (-2.0, delta_box.y1 + 2.0)
    # Tall enough for a ~700 px wide plot; Plotly keeps cells square at any width.
    height = int(min(480, 700 * (y_range[1] - y_range[0]) / (x_range[1] - x_range[0]))) + 170
    layout = equal_scale_layout(x_range, y_range, height, limit)
    # A short, thin colour bar leaves the width to the cells on a phone.
    layout["margin"] = dict(l=10, r=10, t=80, b=90)
    # A colour bar here, unlike the matrix drawings: it says where the colours clip.
    layout["coloraxis"].update(showscale=True, colorbar=dict(title=dict(text=f"value<br>clip ±{limit:.2g}"), len=0.6, thickness=10))
    layout.update(
        # Anchored to the bottom of the title area: multi-line titles anchored at the top drift out of view.
        title=dict(text=_wrap(start.caption), font=dict(size=13), x=0.01, xanchor="left", yref="paper", y=1.0, yanchor="bottom", pad=dict(b=12)),
        shapes=shapes(start.term),
        annotations=[
            label(up_box.x0, up_box.y0 - 0.3, f"{names.up}<br>{d}×{r}", anchor="left"),
            label(down_box.x0, down_box.y0 - 0.2, f"{names.down} {r}×{k}", anchor="left"),
            label((delta_box.x0 + delta_box.x1) / 2, delta_box.y1 + 0.3, f"ΔW<br>= (α/r)·{names.product}", yanchor="top"),
            label((merged_box.x0 + merged_box.x1) / 2, merged_box.y1 + 0.3, "W′ = W + ΔW<br>(starts as W)", yanchor="top"),
            dict(label(delta_box.x1 + GAP, middle, "→", yanchor="middle"), **big),
        ],
        updatemenus=[
            dict(
                type="buttons",
                direction="left",
                x=0.0,
                y=0.0,
                xanchor="left",
                yanchor="top",
                pad=dict(t=8, r=8),
                # Explicit colours: the default white buttons lose their label in a dark theme.
                bgcolor="#e8eaf0",
                bordercolor="#888",
                font=dict(color="#1f2430"),
                buttons=[
                    dict(label="▶ Play", method="animate", args=[None, dict(frame=dict(duration=FRAME_MS, redraw=True), fromcurrent=True, transition=dict(duration=0))]),
                    dict(label="❚❚ Pause", method="animate", args=[[None], dict(frame=dict(duration=0, redraw=False), mode="immediate", transition=dict(duration=0))]),
                ],
            )
        ],
        sliders=[
            dict(
                active=s.step,
                x=0.22,
                len=0.78,
                y=0.0,
                yanchor="top",
                pad=dict(t=8),
                currentvalue=dict(prefix="step: "),
                steps=[
                    dict(label=frame.name, method="animate", args=[[frame.name], dict(mode="immediate", frame=dict(duration=0, redraw=True), transition=dict(duration=0))])
                    for frame in frames
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
    panels = [("A₁B₁ + A₂B₂ (correct)", t.correct), ("(A₁+A₂)(B₁+B₂) (wrong)", t.wrong), ("cross terms A₁B₂ + A₂B₁", t.cross)]
    if s.notation == "paper":
        panels = [("B₁A₁ + B₂A₂ (correct)", t.correct), ("(B₁+B₂)(A₁+A₂) (wrong)", t.wrong), ("cross terms B₁A₂ + B₂A₁", t.cross)]
    traces, annotations = [], []
    for index, (title, values) in enumerate(panels):
        x0 = index * (cols + GAP)
        traces.append(_cells(values, x0, 0, title.split(" (")[0]))
        annotations.append(label(x0 + cols / 2, 0, title))
    layout = equal_scale_layout((-0.5, 3 * cols + 2 * GAP + 0.5), (-2.5, rows + 0.5), 300, symmetric_limit(t.correct, t.wrong, t.cross), top=10)
    layout["annotations"] = annotations
    return plot(traces, layout)

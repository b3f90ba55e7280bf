"""Plotly figures for the whole-model page: one block's matrices to scale, and memory per method."""

from __future__ import annotations

from ..keys import depends_on
from ..names import METHODS
from ..numbers.memory import GIB, card_by_key, card_room, format_bytes
from ..render.plotly import (
    FROZEN_COLOR,
    TRAINED_COLOR,
    FigureSpec,
    equal_scale_layout,
    fitted,
    hline,
    label,
    plot,
)
from ..settings import Settings, model_spec
from .budget import alive_at_peak
from ..presets import linear_layers, resolve_targets
from .text import METHOD_LABELS
from .view import MODEL, RECIPE, model_view

PART_COLORS = {"weights": "#4c78a8", "gradients": "#f58518", "optimizer states": "#e45756", "activations": "#b0b0b0",
               "temporaries": "#72b7b2"}


@depends_on(*MODEL)
def block_figure(s: Settings) -> FigureSpec:
    """Every linear layer of one block at one scale (out rows × in columns); targeted ones with their A and B strips."""
    spec = model_spec(s)
    chosen = set(resolve_targets(spec, s.targets))
    layers = [layer for layer in linear_layers(spec) if layer.copies == spec.layers]
    gap = 0.12 * max(max(layer.in_features, layer.out_features) for layer in layers)
    shapes, annotations, x = [], [], 0.0
    for layer in layers:
        w, h = layer.in_features, layer.out_features
        targeted = layer.name in chosen
        color = TRAINED_COLOR if targeted else FROZEN_COLOR
        shapes.append(dict(type="rect", x0=x, x1=x + w, y0=0, y1=h, line=dict(color=color, width=1.5), fillcolor=color, opacity=0.35 if targeted else 0.18))
        if targeted:  # the adapter's strips, to the same scale: up (out × r) beside W, down (r × in) below it
            shapes.append(dict(type="rect", x0=x + w, x1=x + w + s.r, y0=0, y1=h, line=dict(color=TRAINED_COLOR, width=1), fillcolor=TRAINED_COLOR))
            shapes.append(dict(type="rect", x0=x, x1=x + w, y0=h, y1=h + s.r, line=dict(color=TRAINED_COLOR, width=1), fillcolor=TRAINED_COLOR))
        annotations.append(label(x + w / 2, 0, f"{layer.label}<br>{h:,}×{w:,}" + ("<br>+ LoRA" if targeted else "")))
        x += w + gap
    crowded = len(layers) > CROWDED  # a mixture with a shared expert: eleven labels, too many side by side
    height_units = max(layer.out_features for layer in layers)
    x_range, y_range = (-gap / 2, x), (-0.35 * height_units, height_units * 1.05)
    # On a phone (and wherever there are too many) the three-line labels of neighbouring layers ran into each other:
    # each becomes its name alone, turned upright, in a taller top margin (the sizes stay in the table beneath).
    upright = {f"annotations.{i}.{key}": value for i, layer in enumerate(layers)
               for key, value in (("text", layer.label), ("textangle", -90), ("yanchor", "bottom"))}
    if crowded:
        for i, layer in enumerate(layers):
            annotations[i].update(text=layer.label, textangle=-90, yanchor="bottom")
    top = 8 * max(len(layer.label) for layer in layers) if crowded else 80  # px for the longest upright name
    fit = fitted(x_range, y_range, 420, {"margin.t": top, **upright})
    layout = equal_scale_layout(x_range, y_range, int(min(420, 760 * fit["fit"]["aspect"])) + 20, 1.0, top=top if crowded else 10)
    layout.update(shapes=shapes, annotations=annotations, meta=fit)
    return plot([dict(type="scatter", x=[0, x], y=[0, height_units], mode="markers", marker=dict(opacity=0), hoverinfo="skip")], layout)


CROWDED = 8  # more layers in a block than fit their labels side by side

SHORT_NAMES = {"full": "Full fine-tuning", "lora": "LoRA", "qlora": "QLoRA"}  # a bar's name: short, for a phone


def recipe_label(method: str, checkpointing: bool, chosen: bool) -> str:
    """A bar's name: the method, whether its activations assume checkpointing (QLoRA as PEFT prepares it turns it
    on, whatever the switch says), and whether it is the chosen one."""
    name = SHORT_NAMES[method]
    ckpt = f"{'with' if checkpointing else 'no'} checkpointing"
    return f"<b>{name}</b><br>{ckpt}<br>(chosen)" if chosen else f"{name}<br>{ckpt}"


@depends_on(*MODEL, *RECIPE, "method", "card")
def memory_figure(s: Settings) -> FigureSpec:
    """What is alive at each method's step peak, stacked: weights, optimizer states, the gradients and the saved
    activations alive then, and the moment's temporaries (with the batch); each bar named with its recipe, its peak
    above it, and the chosen card's line."""
    view = model_view(s)
    labels = [recipe_label(m, view.training[m].saved.checkpointing, m == s.method) for m in METHODS]
    parts = {name: [alive[name] for alive in (alive_at_peak(view.training[m]) for m in METHODS)] for name in PART_COLORS}
    traces = [
        dict(
            type="bar",
            x=labels,
            y=[v / GIB for v in values],
            name=name,
            marker=dict(color=PART_COLORS[name]),
            customdata=[[format_bytes(v), f"{v:,}"] for v in values],
            hovertemplate=f"{name}: %{{customdata[0]}} (%{{customdata[1]}} B)<extra></extra>",
        )
        for name, values in parts.items()
    ]
    totals = [view.training[m].peak.bytes for m in METHODS]
    card = card_by_key(s.card)
    # The chosen card's line, at what it leaves for tensors once the CUDA allowance (an estimate) is set aside.
    line, note = hline(card_room(0, card) / GIB, dict(color="#888", width=1, dash="dot"), f"{card.name}, less the CUDA allowance")
    return plot(traces, dict(
        shapes=[line],
        annotations=[dict(note, font=dict(size=11, color="#888")),
                     *(dict(x=label, y=total / GIB, text=format_bytes(total), showarrow=False, yanchor="bottom")
                       for label, total in zip(labels, totals))],
        barmode="stack",
        hovermode="x unified",  # one box with every part of the bar pointed at, and its values
        height=380,
        margin=dict(l=10, r=10, t=30, b=10),
        yaxis=dict(title=dict(text="GiB"), range=[0, 1.15 * max(max(totals), card.bytes) / GIB]),
        legend=dict(orientation="h", y=-0.22),
        # On a phone the bars' names stay level in smaller type (turned upright, they ran into the legend), which
        # moves down below them.
        meta=dict(narrow={"xaxis.tickangle": 0, "xaxis.tickfont.size": 10, "legend.y": -0.42, "height": 420}),
    ))

"""The lesson's pictures: each step draws what it asks about, from the same numbers as its text.

A question's answer stays out of its picture until a guess has been checked: its bar has no length and reads "?"
(a bar's length alone would give a share away).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..keys import depends_on
from ..matrix.figures import DRAWN, delta_figure, role_drawing, scaling_figure
from ..merge.figures import merge_animation
from ..merge.view import EXAMPLE
from ..numbers.example import example_size
from ..notation import labels
from ..numbers.counts import count_params
from ..model.budget import matrix_memory
from ..numbers.memory import MIB, format_bytes
from ..render.plotly import FROZEN_COLOR, TRAINED_COLOR, FigureSpec, plot
from ..outline import OUTLINE
from ..settings import Settings

GRADIENT_COLOR, STATE_COLOR = "#f58518", "#b279a2"  # the whole-model chart's parts, in the lesson's memory bars
HIDDEN = "?"


@dataclass(frozen=True)
class Part:
    """One piece of a bar: its name, size and colour."""

    name: str
    value: float
    color: str


@dataclass(frozen=True)
class Bar:
    """One bar of parts side by side, the total written at its end, or hidden (no length, "?") until revealed."""

    label: str
    parts: tuple[Part, ...]
    text: str
    hidden: bool = False
    said: str = ""  # the text in words, where the picture's differs (its text alternative reads this)

    @property
    def total(self) -> float:
        return sum(part.value for part in self.parts)


@dataclass(frozen=True)
class Bars:
    """A picture of bars: the bars, their unit and the picture's title."""

    bars: tuple[Bar, ...]
    unit: str
    title: str


BAR_BAND_PX = 64  # each bar's band: the bar, and its label and number above it (on a phone too: nothing beside it)


def bars_figure(picture: Bars) -> FigureSpec:
    """Horizontal bars on one linear scale (what is small looks small), top to bottom in the order given, each with
    its label and number written above it, where a phone has room for them."""
    bars = picture.bars
    names = [bar.label for bar in bars]
    parts = list(dict.fromkeys(part.name for bar in bars for part in bar.parts))
    traces = []
    for name in parts:
        values = [0.0 if bar.hidden else sum(p.value for p in bar.parts if p.name == name) for bar in bars]
        color = next(p.color for bar in bars for p in bar.parts if p.name == name)
        traces.append(dict(type="bar", orientation="h", y=names, x=values, name=name, width=0.4, marker=dict(color=color),
                           hovertemplate=f"{name}: %{{x:,.4g}} {picture.unit}<extra></extra>"))
    notes = [dict(xref="x", yref="y", x=0, y=bar.label, yshift=0.2 * BAR_BAND_PX + 1, xanchor="left", yanchor="bottom",
                  showarrow=False, text=f"{bar.label}: <b>{HIDDEN if bar.hidden else bar.text}</b>", font=dict(size=13))
             for bar in bars]
    largest = max((bar.total for bar in bars if not bar.hidden), default=1.0) or 1.0
    margin = dict(l=10, r=20, t=40, b=70 if len(parts) > 1 else 30)  # the legend at the very bottom, below the ticks
    return plot(traces, dict(
        title=dict(text=picture.title, font=dict(size=13), x=0.01),
        barmode="stack",
        height=margin["t"] + margin["b"] + BAR_BAND_PX * len(bars),
        margin=margin,
        annotations=notes,
        xaxis=dict(range=[0, largest * 1.02], rangemode="tozero", fixedrange=True),
        yaxis=dict(autorange="reversed", showticklabels=False, fixedrange=True),
        legend=dict(orientation="h", x=0, y=0, yanchor="bottom", yref="container") if len(parts) > 1 else dict(),
        showlegend=len(parts) > 1,
        dragmode=False,
    ))


def _count_bars(kind: str, s: Settings, revealed: bool) -> Bars:
    """The lesson's count comparisons: the numbers of its text, the asked one hidden until revealed."""
    c = count_params(s.d, s.k, s.r)
    n = labels(s.notation)

    def trained(value: int) -> Part:
        return Part("trained", value, TRAINED_COLOR)

    def kept(value: int) -> Part:
        return Part("not trained", value, FROZEN_COLOR)

    if kind == "share":
        return Bars((
            Bar("full fine-tuning trains", (trained(c.full_trained),), f"{c.full_trained:,} (100%)"),
            Bar("LoRA trains", (trained(c.lora_trainable),), f"{c.lora_trainable:,} ({c.trainable_percent:.4g}% of W)") if revealed else
            Bar("LoRA trains", (trained(c.lora_trainable),), f"{c.lora_trainable:,} (?% of W)",
                said=f"{c.lora_trainable:,} (its share of W not shown until a guess is checked)"),
        ), "parameters", "Trained parameters, to scale")
    if kind == "serving":
        return Bars((
            Bar("served with the adapter separate", (kept(c.full_trained), trained(c.lora_trainable)), f"{c.served_separate:,}",
                hidden=not revealed),
            Bar("of which W", (kept(c.full_trained),), f"{c.full_trained:,}"),
            Bar(f"of which {n.up} and {n.down}", (trained(c.lora_trainable),), f"{c.lora_trainable:,}"),
        ), "parameters", "Parameters while serving, to scale")
    if kind == "pissa":
        return Bars((
            Bar(f"PiSSA trains {n.up} and {n.down} at r = {s.r:,}", (trained(c.lora_trainable),), f"{c.lora_trainable:,}"),
            Bar(f"served on the original W: a plain LoRA of rank {2 * s.r:,}", (trained(2 * c.lora_trainable),),
                f"{2 * c.lora_trainable:,}", hidden=not revealed),
            Bar("W, frozen", (kept(c.lora_frozen),), f"{c.lora_frozen:,}"),
        ), "parameters", "PiSSA's adapter, trained and converted to serve, to scale")
    if kind == "answer":
        return Bars((
            Bar("full fine-tuning: trains and serves", (trained(c.full_trained),), f"{c.full_trained:,}"),
            Bar(f"LoRA: trains {n.up} and {n.down}", (trained(c.lora_trainable),), f"{c.lora_trainable:,}"),
            Bar("LoRA: freezes W", (kept(c.lora_frozen),), f"{c.lora_frozen:,}"),
            Bar("LoRA: serves, adapter separate", (kept(c.full_trained), trained(c.lora_trainable)), f"{c.served_separate:,}"),
            Bar("LoRA: serves, merged", (kept(c.served_merged),), f"{c.served_merged:,}"),
        ), "parameters", "The answer in parameters, to scale")
    raise ValueError(kind)


def _memory_bars(kind: str, s: Settings, revealed: bool) -> Bars:
    """The adapter's size against W's, or training memory with and without LoRA, in MiB (mixed precision, AdamW)."""
    c = count_params(s.d, s.k, s.r)
    n = labels(s.notation)
    memory = matrix_memory(c, s.dtype, "mixed")
    if kind == "adapter":
        return Bars((
            Bar(f"W in {s.dtype}", (Part("W", memory.frozen_bytes / MIB, FROZEN_COLOR),), format_bytes(memory.frozen_bytes)),
            Bar(f"{n.up} and {n.down} in {memory.adapter_dtype}", (Part("adapter", memory.adapter_bytes / MIB, TRAINED_COLOR),),
                format_bytes(memory.adapter_bytes), hidden=not revealed),
        ), "MiB", "Storage in MiB, to scale")
    rows = [("LoRA", memory.lora)] if memory.full is None else [("full fine-tuning", memory.full), ("LoRA", memory.lora)]
    return Bars(tuple(
        Bar(name, (Part("weights", m.weights / MIB, FROZEN_COLOR), Part("gradients", m.gradients / MIB, GRADIENT_COLOR),
                   Part("optimizer states", m.optimizer_states / MIB, STATE_COLOR)), format_bytes(m.total))
        for name, m in rows
    ), "MiB", "Training memory in MiB (AdamW, mixed)")


def step_bars(s: Settings, revealed: bool) -> Bars | None:
    """The current step's bars, if its picture is bars (figures and their text alternatives both draw on these)."""
    kind = OUTLINE[s.lesson].figure
    if kind in ("share", "serving", "answer", "pissa"):
        return _count_bars(kind, s, revealed)
    if kind in ("adapter", "memory"):
        return _memory_bars(kind, s, revealed)
    return None


def _merge(s: Settings) -> FigureSpec:
    """The merge animation, saying what its small example stands for when the settings are larger."""
    figure = merge_animation(s)
    size = example_size(s.d, s.k, s.r)
    if not size.scaled_down:
        return figure
    rank = f" at r = {size.r}" if size.r != s.r else ""
    note = dict(xref="paper", yref="paper", x=1.0, y=1.0, xanchor="right", yanchor="bottom", showarrow=False,
                text=f"scaled down: {size.d}×{size.k}{rank} stands for {s.d:,}×{s.k:,}" + (f" at r = {s.r:,}" if rank else ""),
                font=dict(size=13, color="#888"))
    layout = dict(figure["layout"], annotations=[*figure["layout"]["annotations"], note])
    return dict(figure, layout=layout)


FIGURE_KINDS = ("drawing", "full", "lit", "share", "serving", "merge", "adapter", "memory", "delta", "answer", "rslora", "dora",
                "pissa")


SHOWN = (*DRAWN, *EXAMPLE, "lesson", "dtype", "alpha", "step", "present")  # what any step's picture may show


@depends_on(*SHOWN)
def step_figure(s: Settings) -> FigureSpec:
    """The picture of the lesson's current step, its question's answer hidden."""
    return picture(s, revealed=False)


@depends_on(*SHOWN)
def answered_step_figure(s: Settings) -> FigureSpec:
    """The picture of the lesson's current step once a guess has been checked (its answer shown)."""
    return picture(s, revealed=True)


def picture(s: Settings, revealed: bool) -> FigureSpec:
    """The current step's picture (see FIGURE_KINDS), its answer shown if `revealed`."""
    kind = OUTLINE[s.lesson].figure
    if kind in ("drawing", "full", "lit"):
        # On a projector the picture shares the screen with the step's words: no magnified corner beneath it, whose
        # labels ran into the drawing's once both were squeezed into the height left.
        return role_drawing(s, {"drawing": "lora"}.get(kind, kind), magnify=not s.present)
    if bars := step_bars(s, revealed):
        return bars_figure(bars)
    if kind == "merge":
        return _merge(s)
    if kind == "delta":
        return delta_figure(s)
    if kind == "rslora":
        return scaling_figure(s)
    if kind == "dora":  # the drawing with DoRA's magnitude m beside the factors
        return role_drawing(replace(s, variant="dora"), "lora", magnify=not s.present)
    raise ValueError(f"no figure {kind!r}")

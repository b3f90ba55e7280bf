"""Plotly figures for the low-rank page: loss curves, spectra, and the rank sweep (charts of a training, and the
builders that draw them from the settings)."""

from __future__ import annotations

import numpy as np

from ..keys import depends_on
from ..notation import labels
from ..render.plotly import FROZEN_COLOR, TRAINED_COLOR, FigureSpec, hline, plot, stand_in, vline
from ..settings import Settings
from .task import w_singular_values
from .train import TrainingResult, VariantRuns
from .view import TRAINED_ON, to_task, trained, variants_trained

LOSS_FLOOR = 1e-8  # log axes cannot show 0: smaller losses are drawn here
BOUND_COLOR = "#54a24b"
RSLORA_COLOR, PISSA_COLOR = "#f58518", "#b279a2"  # the variants beside LoRA (TRAINED_COLOR)


LOG_CHART_HEIGHT = 340  # px: the loss charts'


def _log_layout(x_title: str, y_title: str, marker: tuple[dict, dict], height: int = LOG_CHART_HEIGHT) -> dict:
    """A log-y layout with one marked line (a shape and its label)."""
    shape, note = marker
    return dict(
        shapes=[shape],
        annotations=[note],
        height=height,
        margin=dict(l=10, r=10, t=30, b=10),
        xaxis=dict(title=dict(text=x_title)),
        yaxis=dict(title=dict(text=y_title), type="log", exponentformat="power"),
        # Beneath the plot, like the rank sweep's: above it, a two-line legend ran into the r = … label on a phone.
        legend=dict(orientation="h", y=-0.25, yanchor="top"),
    )


def loss_chart(result: TrainingResult) -> FigureSpec:
    """Loss per step for LoRA at rank r and full fine-tuning, with the best loss any rank-r update can reach."""
    steps = np.arange(result.lora.losses.size)
    traces = [
        dict(type="scatter", x=steps, y=np.maximum(result.lora.losses, LOSS_FLOOR), name=f"LoRA, r = {result.r}", line=dict(color=TRAINED_COLOR, width=2.5)),
        dict(type="scatter", x=steps, y=np.maximum(result.full.losses, LOSS_FLOOR), name="full fine-tuning", line=dict(color=FROZEN_COLOR, width=2, dash="dash")),
    ]
    best = max(result.task.best_loss(result.r), LOSS_FLOOR)
    marker = hline(best, dict(color=BOUND_COLOR, dash="dot"), f"best possible at rank {result.r}: {best:.3g}")
    title = "loss (share of ΔW* not learned)" if result.task.floor == 0 else "loss"
    return plot(traces, _log_layout("training step", title, marker))


def spectrum_chart(result: TrainingResult, product: str = "A×B") -> FigureSpec:
    """Singular values of the change to learn and of the learned LoRA update (the factors' `product` as the notation
    writes it); the tail beyond r is what LoRA must miss. W's own top r, open diamonds: where PiSSA's adapter starts
    (LoRA's starts at zero)."""
    target = result.task.singular_values()
    learned = result.lora.singular_values
    index = np.arange(1, target.size + 1)
    pissa = w_singular_values(result.task)[:result.r]
    traces = [
        dict(type="bar", x=index, y=np.maximum(target, LOSS_FLOOR), name="needed change ΔW* (with the noise the data shows)", marker=dict(color=FROZEN_COLOR), opacity=0.55),
        dict(type="scatter", x=index, y=np.maximum(learned, LOSS_FLOOR), name=f"learned (α/r)·{product}, r = {result.r}", mode="markers", marker=dict(color=TRAINED_COLOR, size=8)),
        dict(type="scatter", x=index[:pissa.size], y=pissa, name=f"PiSSA's start: W's top {result.r} (LoRA's: 0)", mode="markers",
             marker=dict(color=PISSA_COLOR, size=9, symbol="diamond-open", line=dict(width=2))),
    ]
    marker = vline(result.r + 0.5, dict(dash="dot", color="#888"), f"r = {result.r}")
    return plot(traces, _log_layout("singular value index", "singular value", marker))


def variants_chart(result: TrainingResult, variants: VariantRuns) -> FigureSpec:
    """Loss per step at rank r for LoRA, rsLoRA (α/√r) and PiSSA (W's top-r start), with full fine-tuning and the
    best loss any rank-r update can reach."""
    r = result.r
    curves = (("LoRA", result.lora.losses, TRAINED_COLOR, "solid"),
              ("rsLoRA (α/√r)", variants.runs["rslora"].losses, RSLORA_COLOR, "dot"),
              ("PiSSA (starts from W's top r)", variants.runs["pissa"].losses, PISSA_COLOR, "dashdot"),
              ("full fine-tuning", result.full.losses, FROZEN_COLOR, "dash"))
    traces = [dict(type="scatter", x=np.arange(losses.size), y=np.maximum(losses, LOSS_FLOOR), name=f"{name}, r = {r}"
                   if name != "full fine-tuning" else name, line=dict(color=color, width=2, dash=dash))
              for name, losses, color, dash in curves]
    best = max(result.task.best_loss(r), LOSS_FLOOR)
    marker = hline(best, dict(color=BOUND_COLOR, dash="dot"), f"best possible at rank {r}: {best:.3g}")
    title = "loss (share of ΔW* not learned)" if result.task.floor == 0 else "loss"
    return plot(traces, _log_layout("training step", title, marker))


def sweep_chart(result: TrainingResult) -> FigureSpec:
    """Final loss at every rank with the Eckart–Young bound and full fine-tuning; trainable parameters on the right.

    The parameters are a thin grey line, not bars: Plotly draws a second y axis's traces over the first's, and bars
    hid the loss lines. Full fine-tuning is a trace, not a bare line, so the legend names it.
    """
    ranks = [p.r for p in result.sweep]
    full = max(float(result.full.losses[-1]), LOSS_FLOOR)
    traces = [
        dict(type="scatter", x=ranks, y=[p.trainable for p in result.sweep], name="trainable parameters r·(d + k) (right axis)",
             mode="lines", line=dict(color="#999999", width=1.5), yaxis="y2", hoverinfo="x+y+name"),
        dict(type="scatter", x=ranks, y=[max(p.final_loss, LOSS_FLOOR) for p in result.sweep], name="LoRA after training", mode="markers+lines",
             marker=dict(color=TRAINED_COLOR, size=7, symbol=["x" if p.diverged_at is not None else "circle" for p in result.sweep])),
        dict(type="scatter", x=ranks, y=[max(p.best_loss, LOSS_FLOOR) for p in result.sweep], name="best possible (Eckart–Young)", line=dict(color=BOUND_COLOR, dash="dot")),
        dict(type="scatter", x=[ranks[0], ranks[-1]], y=[full, full], name="full fine-tuning", mode="lines", line=dict(color=FROZEN_COLOR, dash="dash")),
    ]
    layout = dict(
        height=400,
        margin=dict(l=10, r=10, t=30, b=10),
        xaxis=dict(title=dict(text="rank r")),
        yaxis=dict(title=dict(text="final loss"), type="log", exponentformat="power"),
        yaxis2=dict(title=dict(text="trainable parameters"), overlaying="y", side="right", showgrid=False, rangemode="tozero"),
        legend=dict(orientation="h", y=-0.25, yanchor="top"),
    )
    return plot(traces, layout)


@depends_on(*TRAINED_ON, "r", reduce=to_task)
def loss_figure(s: Settings) -> FigureSpec:
    """The loss chart of the settings' training at their rank."""
    return loss_chart(trained(s))


@depends_on(*TRAINED_ON, "r", "notation", reduce=to_task)
def spectrum_figure(s: Settings) -> FigureSpec:
    """The spectrum chart of the settings' training at their rank, in their notation."""
    return spectrum_chart(trained(s), labels(s.notation).product)


@depends_on(*TRAINED_ON, reduce=to_task)
def sweep_figure(s: Settings) -> FigureSpec:
    """The rank sweep of the settings' training (every rank: the rank slider does not change it)."""
    return sweep_chart(trained(s))


@depends_on(*TRAINED_ON, "r", reduce=to_task)
def variants_figure(s: Settings) -> FigureSpec:
    """The variants' loss curves at the settings' rank."""
    return variants_chart(trained(s), variants_trained(s))


# The same at every rank, so a rank move sends it as a message the browser already holds; keyed by the task's sizes,
# which the link has, so its chart records settings that agree with the link, as every chart's do.
@depends_on("d", "k")
def pending_variants_figure(s: Settings) -> FigureSpec:
    """The variants chart's place while rsLoRA and PiSSA train at the shown rank."""
    return stand_in(LOG_CHART_HEIGHT, 30, "rsLoRA and PiSSA: training at this rank…")

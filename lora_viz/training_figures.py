"""Plotly figures for the low-rank page: loss curves, spectra, and the rank sweep."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .figures import plot, FROZEN_COLOR, TRAINED_COLOR
from .training import TrainingResult

LOSS_FLOOR = 1e-8  # log axes cannot show 0: smaller losses are drawn here
BOUND_COLOR = "#54a24b"


def _log_layout(fig: go.Figure, x_title: str, y_title: str, height: int = 340) -> go.Figure:
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=30, b=10),
        xaxis=dict(title=x_title),
        yaxis=dict(title=y_title, type="log", exponentformat="power"),
        legend=dict(orientation="h", y=1.14),
    )
    return fig


def loss_figure(result: TrainingResult) -> go.Figure:
    """Loss per step for LoRA at rank r and full fine-tuning, with the best loss any rank-r update can reach."""
    steps = np.arange(result.lora.losses.size)
    fig = plot([
        dict(type="scatter", x=steps, y=np.maximum(result.lora.losses, LOSS_FLOOR), name=f"LoRA, r = {result.r}", line=dict(color=TRAINED_COLOR, width=2.5)),
        dict(type="scatter", x=steps, y=np.maximum(result.full.losses, LOSS_FLOOR), name="full fine-tuning", line=dict(color=FROZEN_COLOR, width=2, dash="dash")),
    ])
    best = max(result.task.best_loss(result.r), LOSS_FLOOR)
    fig.add_hline(y=best, line=dict(color=BOUND_COLOR, dash="dot"), annotation_text=f"best possible at rank {result.r}: {best:.3g}")
    return _log_layout(fig, "training step", "loss (share of ΔW* not learned)")


def spectrum_figure(result: TrainingResult) -> go.Figure:
    """Singular values of the change to learn and of the learned LoRA update; the tail beyond r is what LoRA must miss."""
    target = result.task.singular_values()
    learned = np.linalg.svd(result.lora.delta, compute_uv=False)
    index = np.arange(1, target.size + 1)
    fig = plot([
        dict(type="bar", x=index, y=np.maximum(target, LOSS_FLOOR), name="needed change ΔW* (with the noise the data shows)", marker_color=FROZEN_COLOR, opacity=0.55),
        dict(type="scatter", x=index, y=np.maximum(learned, LOSS_FLOOR), name=f"learned (α/r)·up·down, r = {result.r}", mode="markers", marker=dict(color=TRAINED_COLOR, size=8)),
    ])
    fig.add_vline(x=result.r + 0.5, line=dict(dash="dot", color="#888"), annotation_text=f"r = {result.r}")
    return _log_layout(fig, "singular value index", "singular value")


def sweep_figure(result: TrainingResult) -> go.Figure:
    """Final loss at every rank with the Eckart–Young bound and full fine-tuning; trainable parameters on the right."""
    ranks = [p.r for p in result.sweep]
    fig = plot([
        dict(type="bar", x=ranks, y=[p.trainable for p in result.sweep], name="trainable parameters r·(d + k)", marker_color="#cccccc", yaxis="y2", opacity=0.5),
        dict(type="scatter", x=ranks, y=[max(p.final_loss, LOSS_FLOOR) for p in result.sweep], name="LoRA after training", mode="markers+lines", marker=dict(color=TRAINED_COLOR, size=7)),
        dict(type="scatter", x=ranks, y=[max(p.best_loss, LOSS_FLOOR) for p in result.sweep], name="best possible (Eckart–Young)", line=dict(color=BOUND_COLOR, dash="dot")),
    ])
    fig.add_hline(y=max(float(result.full.losses[-1]), LOSS_FLOOR), line=dict(color=FROZEN_COLOR, dash="dash"), annotation_text="full fine-tuning")
    _log_layout(fig, "rank r", "final loss", height=380)
    fig.update_layout(yaxis2=dict(title="trainable parameters", overlaying="y", side="right", showgrid=False, rangemode="tozero"))
    return fig

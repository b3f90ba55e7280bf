"""Text alternatives for every figure, stating in numbers what the figure shows (for screen readers and exports)."""

from __future__ import annotations

import numpy as np

from .example import example_size, frame_count
from .figures import MAGNIFIED_CELLS
from .geometry import product_block, scale_layout
from .merge import by_example, merge_example, spectra, two_adapters
from .model_summary import METHOD_LABELS, model_view
from .models import linear_layers
from .notation import labels
from .settings import Settings, model_spec
from .summary import scale_caption
from .training import TrainingResult
from .names import METHODS, float_dtype
from .whole_model import resolve_targets


def drawing_alt(s: Settings) -> str:
    """The to-scale drawing, and its magnified corner when it has one."""
    magnified = " Beneath it: " + magnifier_alt(s) if scale_layout(s.d, s.k, s.r).needs_magnifier else ""
    return scale_caption(s) + magnified


def magnifier_alt(s: Settings) -> str:
    n = labels(s.notation)
    rows, cols, rank = min(s.d, MAGNIFIED_CELLS), min(s.k, MAGNIFIED_CELLS), min(s.r, MAGNIFIED_CELLS)
    return (
        f"Magnified top-left corner at one scale: W {rows}×{cols} of its {s.d:,}×{s.k:,} weights, {n.up} {rows}×{rank}, "
        f"{n.down} {rank}×{cols}; every square is one weight."
        + (f" {n.up} is all zeros (initialisation)." if not s.trained else "")
    )


def delta_alt(s: Settings) -> str:
    block = product_block(s.d, s.k, s.r)
    cells = "every weight" if block == 1 else f"exact means of {block:,}×{block:,} blocks"
    return f"ΔW = (α/r)·{labels(s.notation).product} with α/r = {s.alpha / s.r:.4g}: a {s.d:,}×{s.k:,} matrix of rank at most {s.r:,}, drawn as {cells}."


def merge_animation_alt(s: Settings) -> str:
    size = example_size(s.d, s.k, s.r)
    n = labels(s.notation)
    return (
        f"Animation in {frame_count(s.r)} steps on a {size.d}×{size.k} example at rank {size.r}: ΔW = (α/r)·{n.product} "
        f"built from {size.r} rank-1 terms, scaled by α/r = {s.alpha / size.r:.4g}, then added to W to give W′."
    )


@by_example("dtype")
def spectra_alt(s: Settings) -> str:
    e = merge_example(s)
    dtype = float_dtype(s.dtype, "fp32")
    sv = spectra(e, dtype)
    nonzero = int(np.sum(sv.delta > 1e-9 * max(sv.delta[0], 1e-300)))
    return (
        f"Singular values on a log scale. ΔW: {nonzero} non-zero (largest {sv.delta[0]:.3g}), the rest at machine zero. "
        f"W′ − W with W′ in {dtype}: the smallest is {sv.merged_minus_w[-1]:.2g}, the rounding floor."
    )


@by_example()
def two_adapters_alt(s: Settings) -> str:
    pair = two_adapters(s)
    return (
        f"Three {pair.correct.shape[0]}×{pair.correct.shape[1]} heatmaps: the correct sum of two adapters, the sum of their "
        f"factors multiplied out, and the cross terms between them, {pair.cross_share:.0%} of the correct sum's size."
    )


def block_alt(s: Settings) -> str:
    spec = model_spec(s)
    chosen = set(resolve_targets(spec, s.targets))
    parts = [
        f"{layer.name} {layer.out_features:,}×{layer.in_features:,}" + (" (LoRA)" if layer.name in chosen else "")
        for layer in linear_layers(spec)
        if layer.copies == spec.layers
    ]
    return f"One {spec.label} block's weight matrices at one scale, out × in: " + ", ".join(parts) + "."


def memory_alt(s: Settings) -> str:
    view = model_view(s)
    totals = ", ".join(f"{METHOD_LABELS[m]} {view.training[m].total / 2**30:.1f} GiB" for m in METHODS)
    return f"Stacked training memory per method (weights, gradients, optimizer states, estimated activations): {totals}."


def loss_alt(result: TrainingResult) -> str:
    lora, full = result.lora.losses, result.full.losses
    stopped = f", stopped at step {result.lora.diverged_at} when it diverged" if result.lora.diverged_at is not None else ""
    return (
        f"Loss per training step on a log scale: LoRA at r = {result.r} goes from {lora[0]:.3g} to {lora[-1]:.3g}{stopped} "
        f"(best possible {result.task.best_loss(result.r):.3g}); full fine-tuning ends at {full[-1]:.3g}."
    )


def training_spectrum_alt(result: TrainingResult) -> str:
    target = result.task.singular_values()
    tail = float(np.sum(target[result.r:] ** 2))
    return (
        f"Singular values on a log scale: the needed change's largest is {target[0]:.3g}; the energy beyond the first "
        f"{result.r} is {tail:.3g}, which LoRA at rank {result.r} cannot learn."
    )


def sweep_alt(result: TrainingResult) -> str:
    first, last = result.sweep[0], result.sweep[-1]
    return (
        f"Final loss for every rank 1 to {last.r}: {first.final_loss:.3g} at r = 1 and {last.final_loss:.3g} at r = {last.r}, "
        f"beside the Eckart–Young bound; trainable parameters grow from {first.trainable:,} to {last.trainable:,}."
    )

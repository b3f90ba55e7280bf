"""Text alternatives for the training page's figures, from the same numbers the figures draw."""

from __future__ import annotations

import numpy as np

from .task import w_singular_values
from .train import TrainingResult, VariantRuns, compared_runs


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
        f"{result.r} is {tail:.3g}, which LoRA at rank {result.r} cannot learn. Diamonds mark W's own top {result.r} "
        f"singular values, from {w_singular_values(result.task)[0]:.3g}: where PiSSA's adapter starts (LoRA's starts at 0)."
    )


def variants_alt(result: TrainingResult, variants: VariantRuns) -> str:
    return (f"Loss per training step on a log scale at r = {result.r}: "
            + "; ".join(f"{name} from {run.losses[0]:.3g} to {run.losses[-1]:.3g}" for name, run in compared_runs(result, variants).items())
            + f"; full fine-tuning ends at {result.full.losses[-1]:.3g}.")


def sweep_alt(result: TrainingResult) -> str:
    first, last = result.sweep[0], result.sweep[-1]
    return (
        f"Final loss for every rank 1 to {last.r}: {first.final_loss:.3g} at r = 1 and {last.final_loss:.3g} at r = {last.r}, "
        f"beside the Eckart–Young bound; trainable parameters grow from {first.trainable:,} to {last.trainable:,}."
    )

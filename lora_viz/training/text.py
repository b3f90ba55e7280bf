"""The training page's words, computed from the task and the training (never fixed claims)."""

from __future__ import annotations

import numpy as np

from ..numbers.counts import scaling
from .task import Task, start_loss, w_singular_values
from .train import CPU_BUDGET_S, DIVERGENCE_FACTOR, TrainingResult, VariantRuns, compared_runs


def intro_text(task: Task, product: str) -> str:
    """What the loss is and what the best rank-r loss is, in words true for this task (with or without noise)."""
    opening = (f"A frozen W ({task.w.shape[0]}×{task.w.shape[1]}) must change by ΔW* (‖ΔW*‖ = 1) to fit new data. "
               f"Full fine-tuning may learn any ΔW; LoRA only ΔW = (α/r)·{product}, of rank at most r. ")
    if task.floor == 0 and np.array_equal(task.target, task.delta_star):
        return opening + (
            "The loss is the share of ΔW* not learned: it starts at 1. Inputs have identity covariance, so the best "
            "rank-r answer is known exactly: the energy of ΔW* beyond its r-th singular value (Eckart–Young).")
    return opening + (
        f"The labels carry noise, so the loss starts at {start_loss(task):.3g}, not 1. Inputs have identity covariance, "
        "so the loss is ‖ΔW − M‖² + c: M is ΔW* plus the part of the noise the inputs can explain, and "
        f"c = {task.floor:.3g} is the noise no update can fit. The best rank-r loss is known exactly: the energy of M "
        "beyond its r-th singular value, plus c (Eckart–Young).")


def loss_text(loss: float) -> str:
    """A loss for reading: 3 significant digits, or 0 below rounding noise."""
    return "0 (to rounding)" if loss < 1e-12 else f"{loss:.3g}"


def training_summary(result: TrainingResult) -> str:
    """LoRA's final loss beside the best possible at its rank and full fine-tuning's, with parameter counts."""
    d, k = result.task.w.shape
    return (
        f"LoRA at r = {result.r} ends at **{loss_text(float(result.lora.losses[-1]))}**; the best any rank-{result.r} "
        f"update can do is **{loss_text(result.task.best_loss(result.r))}**; full fine-tuning ends at "
        f"**{loss_text(float(result.full.losses[-1]))}** with {d * k:,} trainable parameters against LoRA's {result.r * (d + k):,}."
    )


def divergence_text(result: TrainingResult) -> str:
    """Which trainings diverged, at which step, and what to do; empty when none did."""
    parts = []
    if result.full.diverged_at is not None:
        parts.append(f"full fine-tuning at step {result.full.diverged_at}")
    ranks = [p for p in result.sweep if p.diverged_at is not None]
    if ranks:
        first = min(ranks, key=lambda p: p.diverged_at)
        parts.append(f"LoRA at {len(ranks)} of {len(result.sweep)} ranks (first at step {first.diverged_at}, r = {first.r})")
    if not parts:
        return ""
    trainer = "Gradient descent" if result.spec.trainer == "gd" else "Adam"
    return (f"{trainer} diverged — {' and '.join(parts)}: the loss grew past {DIVERGENCE_FACTOR:,.0f} times its start. "
            "Lower the learning rate (or α). Curves stop where training was stopped; final losses are the last "
            "ones before it diverged.")


def budget_text(result: TrainingResult) -> str:
    """Which ranks a training trained before its CPU budget ran out; empty when it trained them all."""
    if not result.budget_spent:
        return ""
    d, k = result.task.w.shape
    return (f"This training used up its computing time ({CPU_BUDGET_S:g} s of one processor) after ranks 1–{len(result.sweep)} "
            f"of {min(d, k)}, so the page shows those. Fewer steps, or a smaller d or k, train every rank.")


def sweep_caption(result: TrainingResult) -> str:
    """What the rank sweep shows for this task, read off the training (not fixed words)."""
    spec, sweep = result.spec, result.sweep
    text = "Where the dots meet the dotted line, training found the best update of that rank. "
    if spec.spectrum == "rank":
        s = min(spec.spectrum_rank, len(sweep))
        point = sweep[s - 1]
        floor = " (the noise no update can fit)" if result.task.floor > 0 else ""
        text += (f"ΔW* has rank s = {s}, so from r = {s} on the best possible loss is {loss_text(point.best_loss)}{floor}. "
                 f"After {spec.steps:,} steps LoRA at r = {s} ends at {loss_text(point.final_loss)}")
        reached = point.final_loss <= 1.01 * point.best_loss + 1e-9
        return text + (": it reached the optimum." if reached else ": close to it, not at it yet; more steps bring it closer.")
    if spec.spectrum == "noise":
        return text + "On full-rank noise every extra rank helps a little, and only r = min(d, k) removes all of it."
    first, last = sweep[0], sweep[-1]
    return text + (f"With singular values decaying as i^−{spec.decay:g}, each extra rank removes less: the best possible loss "
                   f"goes from {loss_text(first.best_loss)} at r = 1 to {loss_text(last.best_loss)} at r = {last.r}.")


def spectrum_caption(result: TrainingResult) -> str:
    """What the spectrum shows: LoRA's learned directions, and where PiSSA's adapter starts."""
    top = w_singular_values(result.task)[:result.r]
    return ("LoRA learns the top r singular directions of the needed change; what lies beyond r is the loss it must keep. "
            f"PiSSA (PEFT's init_lora_weights=\"pissa\") starts elsewhere: its factors hold W's own top {result.r} singular "
            f"values ({top[0]:.3g} down to {top[-1]:.3g}, the diamonds), taken out of the frozen base so that the model is "
            "unchanged at the start, where LoRA's start at zero.")


def variants_pending(result: TrainingResult) -> str:
    """What the page says while rsLoRA and PiSSA train at the result's rank, after a rank move."""
    return (f"Training rsLoRA and PiSSA at r = {result.r} ({result.spec.steps:,} steps each) once the slider rests: their "
            "loss curves follow in a moment "
            "(a rank move answers at once; only the rank the hand stops at is trained).")


def variants_text(result: TrainingResult, variants: VariantRuns) -> str:
    """The variants' final losses at this rank beside LoRA's, and what each changes, read off the trainings."""
    r, spec = result.r, result.spec
    runs = compared_runs(result, variants)
    ends = ", ".join(f"{name} **{loss_text(float(run.losses[-1]))}**" for name, run in runs.items())
    diverged = [name for name, run in runs.items() if name != "LoRA" and run.diverged_at is not None]
    plus = (f" Every adapter here trains with LoRA+: the output-side factor (PEFT's lora_B) learns {spec.lr_ratio:g}× faster."
            if spec.lr_ratio > 1 else " LoRA+ (the ratio above the rank) would train the output-side factor faster.")
    return (
        f"At r = {r}, after {spec.steps:,} steps: {ends}. rsLoRA scales ΔW by α/√r = {scaling(spec.alpha, r, 'rslora'):.3g} "
        f"instead of α/r = {scaling(spec.alpha, r):.3g}: the larger r, the more it keeps the update's size, so high ranks "
        "learn as fast as low ones. PiSSA trains the same parameters from W's top singular vectors: it helps where the "
        "change to learn lies along them; this task's ΔW* is drawn apart from W, so it must first turn away from them."
        + (f" {' and '.join(diverged)} diverged: lower the learning rate." if diverged else "") + plus
    )

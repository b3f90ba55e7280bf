"""Training in NumPy: full fine-tuning and LoRA at every rank, with Adam or gradient descent (and LoRA+'s faster
output-side factor), stopped if it diverges; at one rank, rsLoRA's scaling and PiSSA's start beside plain LoRA."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..numbers.counts import scaling
from ..numbers.variants import pissa_start
from .task import Task, TrainingSpec, loss_and_gradient, make_task

ADAM = (0.9, 0.999, 1e-8)


@dataclass(frozen=True)
class Run:
    """Loss after every step (index 0: before training) and the learned update.

    If training diverged, `losses` stop at the last finite, bounded loss, `delta` is the update that had it, and
    `diverged_at` is the step at which the loss left those bounds.
    """

    losses: np.ndarray
    delta: np.ndarray
    diverged_at: int | None = None


# A loss this many times the starting one (or not finite) means the step size is too large for the problem:
# gradient descent then grows without bound, and stopping here keeps every number finite and every SVD defined.
DIVERGENCE_FACTOR = 1e6


def diverged(loss: float, start: float) -> bool:
    """True when loss is not finite or above DIVERGENCE_FACTOR × the starting loss."""
    return not math.isfinite(loss) or loss > DIVERGENCE_FACTOR * max(start, 1e-12)


class _Optimizer:
    """Adam (β₁ 0.9, β₂ 0.999) or plain gradient descent over a list of arrays, updated in place, each array at its
    own learning rate (LoRA+: the output-side factor's is larger)."""

    def __init__(self, params: list[np.ndarray], lr: float | list[float], trainer: str) -> None:
        self.params, self.trainer, self.t = params, trainer, 0
        self.lrs = lr if isinstance(lr, list) else [lr] * len(params)
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    def step(self, grads: list[np.ndarray]) -> None:
        self.t += 1
        b1, b2, eps = ADAM
        for p, g, m, v, lr in zip(self.params, grads, self.m, self.v, self.lrs):
            if self.trainer == "gd":
                p -= lr * g
                continue
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            p -= lr * (m / (1 - b1**self.t)) / (np.sqrt(v / (1 - b2**self.t)) + eps)


# Told the share done after each training; answers whether to go on (False once the budget is spent).
Progress = Callable[[float], bool] | None
CPU_BUDGET_S = 20.0  # of one core, per training: the largest (48×48, 3000 steps, every rank) takes about 14 s here


def lora_factors_init(task: Task, r: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """As PEFT: the input-side factor Kaiming-uniform, U(−1/√k, 1/√k); the output-side factor zero."""
    d, k = task.w.shape
    rng = np.random.default_rng([seed, 6, r])
    return np.zeros((d, r)), rng.uniform(-1, 1, (r, k)) / np.sqrt(k)


def factor_gradients(grad: np.ndarray, up: np.ndarray, down: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """For ΔW = scale·up·down and G = ∂L/∂ΔW: ∂L/∂up = scale·G·downᵀ, ∂L/∂down = scale·upᵀ·G."""
    return scale * grad @ down.T, scale * up.T @ grad


def lora_gradients(task: Task, up: np.ndarray, down: np.ndarray, scale: float) -> tuple[float, np.ndarray, np.ndarray]:
    """Loss and gradients for ΔW = scale·up·down."""
    loss, g = loss_and_gradient(task, scale * up @ down)
    return (loss, *factor_gradients(g, up, down, scale))


def pissa_factors_init(task: Task, r: int, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """PiSSA's start (init_lora_weights="pissa"): up and down from W's top-r singular triplets, √S shared
    (numbers/variants.pissa_start: up is PEFT's B, down its A). The base becomes W − scale·up·down, so the model is
    W at the start all the same."""
    start = pissa_start(task.w, r, alpha)
    return start.b.copy(), start.a.copy()


def train_lora(task: Task, r: int, alpha: float, steps: int, lr: float, trainer: str, seed: int, variant: str = "lora",
               lr_ratio: float = 1.0) -> Run:
    """Train up (d×r) and down (r×k) with W frozen; ΔW = scale·(up·down − up₀·down₀), scale α/r (rsLoRA α/√r).
    LoRA starts from up₀ = 0 and a random down₀; PiSSA from W's top-r singular vectors, on the residual base
    W − scale·up₀·down₀. LoRA+ (lr_ratio > 1) trains up, PEFT's lora_B, that many times faster."""
    up, down = pissa_factors_init(task, r, alpha) if variant == "pissa" else lora_factors_init(task, r, seed)
    scale = scaling(alpha, r, variant)
    start = scale * up @ down  # what the residual base takes out: 0 for LoRA

    def update(grad: np.ndarray) -> np.ndarray:
        optimizer.step(list(factor_gradients(grad, up, down, scale)))
        return scale * up @ down - start

    optimizer = _Optimizer([up, down], [lr * lr_ratio, lr], trainer)
    return _descend(task, np.zeros_like(task.w), steps, update)


def train_full(task: Task, steps: int, lr: float, trainer: str) -> Run:
    """Full fine-tuning: every entry of ΔW trained, from zero."""
    delta = np.zeros_like(task.w)
    optimizer = _Optimizer([delta], lr, trainer)

    def update(grad: np.ndarray) -> np.ndarray:
        optimizer.step([grad])
        return delta.copy()

    return _descend(task, delta.copy(), steps, update)


def _descend(task: Task, delta: np.ndarray, steps: int, update: Callable[[np.ndarray], np.ndarray]) -> Run:
    """Up to `steps` updates from ΔW = delta, recording the loss before each and after the last; stops if it diverges."""
    losses, kept = np.empty(steps + 1), delta
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run overflows: detected below, never kept
        for step in range(steps + 1):
            loss, grad = loss_and_gradient(task, delta)
            if diverged(loss, losses[0] if step else loss):
                return Run(losses[:step].copy(), kept, diverged_at=step)
            losses[step], kept = loss, delta
            if step < steps:
                delta = update(grad)
    return Run(losses, kept)


@dataclass(frozen=True)
class SweepPoint:
    r: int
    final_loss: float
    best_loss: float  # Eckart–Young
    trainable: int  # r·(d + k)
    diverged_at: int | None = None


@dataclass(frozen=True)
class RankRun:
    """What the page shows of one LoRA training: the loss curve and the learned update's singular values."""

    losses: np.ndarray
    singular_values: np.ndarray
    diverged_at: int | None = None


@dataclass(frozen=True)
class Training:
    """Full fine-tuning and LoRA at every rank 1 … min(d, k), for one spec."""

    spec: TrainingSpec
    task: Task
    full: Run
    runs: tuple[RankRun, ...]  # runs[r − 1] is rank r
    sweep: tuple[SweepPoint, ...]
    budget_spent: bool = False  # stopped at CPU_BUDGET_S before every rank was trained


@dataclass(frozen=True)
class TrainingResult:
    """Everything the page shows for one rank."""

    spec: TrainingSpec
    task: Task
    lora: RankRun
    full: Run
    sweep: tuple[SweepPoint, ...]
    r: int  # the rank shown (the settings' r, at most min(task d, k), at most the ranks trained)
    budget_spent: bool = False


def train_everything(spec: TrainingSpec, progress: Progress = None) -> Training:
    """Full fine-tuning and a LoRA training at every rank 1 … min(d, k) (each seeded by its rank); rank 1 at least,
    then ranks while `progress` says to go on."""
    task = make_task(spec)
    d, k = task.w.shape
    ranks = range(1, min(d, k) + 1)
    report = progress or (lambda share: True)
    full = train_full(task, spec.steps, spec.lr, spec.trainer)
    report(1 / (len(ranks) + 1))
    runs, sweep = [], []
    for rank in ranks:
        run = train_lora(task, rank, spec.alpha, spec.steps, spec.lr, spec.trainer, spec.seed, lr_ratio=spec.lr_ratio)
        runs.append(RankRun(run.losses, np.linalg.svd(run.delta, compute_uv=False), run.diverged_at))
        sweep.append(SweepPoint(rank, float(run.losses[-1]), task.best_loss(rank), rank * (d + k), run.diverged_at))
        if not report((rank + 1) / (len(ranks) + 1)) and rank < len(ranks):
            return Training(spec, task, full, tuple(runs), tuple(sweep), budget_spent=True)
    return Training(spec, task, full, tuple(runs), tuple(sweep))


def at_rank(training: Training, r: int) -> TrainingResult:
    """The training seen at rank r (at most min(d, k) of the task, and at most the ranks trained)."""
    r = min(r, len(training.runs))
    return TrainingResult(training.spec, training.task, training.runs[r - 1], training.full, training.sweep, r,
                          training.budget_spent)


COMPARED = ("rslora", "pissa")  # trained at the shown rank beside plain LoRA (whose run the sweep has)


@dataclass(frozen=True)
class VariantRuns:
    """rsLoRA's and PiSSA's loss curves at one rank, for the same task, steps, optimizer and LoRA+ ratio."""

    r: int
    runs: dict[str, Run]  # by variant


def compared_runs(result: TrainingResult, variants: VariantRuns) -> dict[str, RankRun | Run]:
    """The runs compared at the shown rank (each with its losses, and the step it diverged at if it did), by the name
    the page gives them: plain LoRA, rsLoRA and PiSSA."""
    return {"LoRA": result.lora, "rsLoRA": variants.runs["rslora"], "PiSSA": variants.runs["pissa"]}


def train_variants(spec: TrainingSpec, r: int, progress: Progress = None) -> VariantRuns:
    """rsLoRA (α/√r) and PiSSA (W's top-r singular vectors) at rank r, each as train_lora trains plain LoRA."""
    task = make_task(spec)
    report = progress or (lambda share: True)
    runs = {}
    for number, variant in enumerate(COMPARED, start=1):
        runs[variant] = train_lora(task, r, spec.alpha, spec.steps, spec.lr, spec.trainer, spec.seed, variant, spec.lr_ratio)
        report(number / len(COMPARED))
    return VariantRuns(r, runs)

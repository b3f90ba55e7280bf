"""Training in NumPy: full fine-tuning and LoRA at every rank, with Adam or gradient descent, stopped if it diverges."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..numbers.counts import scaling
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
    """Adam (β₁ 0.9, β₂ 0.999) or plain gradient descent over a list of arrays, updated in place."""

    def __init__(self, params: list[np.ndarray], lr: float, trainer: str) -> None:
        self.params, self.lr, self.trainer, self.t = params, lr, trainer, 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    def step(self, grads: list[np.ndarray]) -> None:
        self.t += 1
        b1, b2, eps = ADAM
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            if self.trainer == "gd":
                p -= self.lr * g
                continue
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            p -= self.lr * (m / (1 - b1**self.t)) / (np.sqrt(v / (1 - b2**self.t)) + eps)


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


def train_lora(task: Task, r: int, alpha: float, steps: int, lr: float, trainer: str, seed: int) -> Run:
    """Train up (d×r, from zero) and down (r×k, random) with W frozen; ΔW = (α/r)·up·down."""
    up, down = lora_factors_init(task, r, seed)
    scale = scaling(alpha, r)

    def update(grad: np.ndarray) -> np.ndarray:
        optimizer.step(list(factor_gradients(grad, up, down, scale)))
        return scale * up @ down

    optimizer = _Optimizer([up, down], lr, trainer)
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
        run = train_lora(task, rank, spec.alpha, spec.steps, spec.lr, spec.trainer, spec.seed)
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

"""Why low rank works: train a LoRA and full fine-tuning in NumPy on a task whose best answer is known.

Task: frozen W (d×k), target change ΔW* with a chosen spectrum (‖ΔW*‖_F = 1), inputs X (k×n) with
(1/n)·X·Xᵀ = I, targets Y = (W + ΔW*)·X + noise. Loss L(ΔW) = ‖(W + ΔW)·X − Y‖²_F / n. Because
(1/n)·X·Xᵀ = I this equals ‖ΔW − M‖²_F + c exactly, with M = ΔW* + N·Xᵀ/n and c what no ΔW can fit,
so the best rank-r update is M's truncated SVD and its loss Σ_{i>r} σᵢ(M)² + c (Eckart–Young).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Callable

import numpy as np

from .keys import depends_on
from .matrices import lora_matrices
from .settings import Settings

TASK_MAX_DIM = 48  # d and k of the task; small enough to train a whole rank sweep in a few seconds
SAMPLES_PER_INPUT = 2  # n = 2·k samples
ADAM = (0.9, 0.999, 1e-8)


@dataclass(frozen=True)
class TrainingSpec:
    """What a training depends on: the cache key, so unrelated controls never retrain.

    The rank is not part of it: one training covers every rank, so moving the rank slider never retrains.
    """

    d: int
    k: int
    alpha: float
    seed: int
    spectrum: str
    spectrum_rank: int
    decay: float
    noise: float
    steps: int
    lr: float
    trainer: str


@dataclass(frozen=True)
class Task:
    """A frozen W, the change ΔW* to learn, data X and Y, and the exact optimum's ingredients M and c."""

    w: np.ndarray
    delta_star: np.ndarray
    x: np.ndarray
    y: np.ndarray
    target: np.ndarray  # M = ΔW* + N·Xᵀ/n: the ΔW that minimises the loss
    floor: float  # c: the loss no ΔW can remove (noise outside the span the model sees)
    sigma: np.ndarray  # singular values of M, largest first

    @property
    def n(self) -> int:
        return self.x.shape[1]

    def singular_values(self) -> np.ndarray:
        """σ(M), computed once in make_task: the bound, the figures and their text all read it."""
        return self.sigma

    def best_loss(self, r: int) -> float:
        """Eckart–Young: Σ_{i>r} σᵢ(M)² + c, the lowest loss any update of rank ≤ r can reach."""
        return float(np.sum(self.singular_values()[r:] ** 2) + self.floor)


TRAINED_ON = ("d", "k", "alpha", "seed", "spectrum", "spectrum_rank", "decay", "noise", "steps", "lr", "trainer")


def to_task(s: Settings) -> Settings:
    """The settings at the task's size: d and k at most 48, the target's rank at most min(d, k)."""
    d, k = task_size(s.d, s.k)
    return replace(s, d=d, k=k, spectrum_rank=min(s.spectrum_rank, d, k))


@depends_on(*TRAINED_ON, reduce=to_task)
def training_spec(s: Settings) -> TrainingSpec:
    """What a training depends on (its cache key): not the rank, since one training covers every rank."""
    return TrainingSpec(**{key: getattr(s, key) for key in TRAINED_ON})


def task_size(d: int, k: int) -> tuple[int, int]:
    """The task's d and k: the settings', at most 48."""
    return min(d, TASK_MAX_DIM), min(k, TASK_MAX_DIM)


def _orthonormal(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((rows, cols)))
    return q * np.sign(np.diag(r))  # a fixed sign per column, so a seed gives one answer


@lru_cache(maxsize=16)
def make_task(spec: TrainingSpec) -> Task:
    """The seeded task for a spec (cached, so read-only: the page's text and the training both read it)."""
    d, k = task_size(spec.d, spec.k)
    rng = np.random.default_rng([spec.seed, 5])
    m = min(d, k)
    if spec.spectrum == "noise":
        delta = rng.standard_normal((d, k))
    else:
        index = np.arange(1, m + 1, dtype=float)
        sigma = (index <= spec.spectrum_rank).astype(float) if spec.spectrum == "rank" else index ** -spec.decay
        delta = _orthonormal(rng, d, m) @ np.diag(sigma) @ _orthonormal(rng, k, m).T
    delta /= np.linalg.norm(delta)
    n = SAMPLES_PER_INPUT * k
    x = np.sqrt(n) * _orthonormal(rng, n, k).T  # k×n with X·Xᵀ = n·I
    w = lora_matrices(d, k, 1, spec.seed, False).w.dense()
    noise = spec.noise / np.sqrt(d) * rng.standard_normal((d, n))  # ‖N‖²/n ≈ noise²
    y = (w + delta) @ x + noise
    projected = noise @ x.T / n
    floor = float(np.sum(noise**2) / n - np.sum(projected**2))
    target = delta + projected
    task = Task(w=w, delta_star=delta, x=x, y=y, target=target, floor=floor, sigma=np.linalg.svd(target, compute_uv=False))
    for array in (w, delta, x, y, target, task.sigma):
        array.setflags(write=False)
    return task


def start_loss(task: Task) -> float:
    """The loss before training, L(0) = ‖M‖²_F + c."""
    return loss_and_gradient(task, np.zeros_like(task.w))[0]


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


def loss_and_gradient(task: Task, delta: np.ndarray) -> tuple[float, np.ndarray]:
    """L = ‖(W + ΔW)X − Y‖²/n and ∂L/∂ΔW = (2/n)·E·Xᵀ with E = (W + ΔW)X − Y."""
    error = (task.w + delta) @ task.x - task.y
    return float(np.sum(error**2) / task.n), (2.0 / task.n) * error @ task.x.T


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


Progress = Callable[[float], None] | None


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
    scale = alpha / r

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


@dataclass(frozen=True)
class TrainingResult:
    """Everything the page shows for one rank."""

    spec: TrainingSpec
    task: Task
    lora: RankRun
    full: Run
    sweep: tuple[SweepPoint, ...]
    r: int  # the rank shown (the settings' r, at most min(task d, k))


def train_everything(spec: TrainingSpec, progress: Progress = None) -> Training:
    """Full fine-tuning and a LoRA training at every rank 1 … min(d, k) (each seeded by its rank)."""
    task = make_task(spec)
    d, k = task.w.shape
    ranks = range(1, min(d, k) + 1)
    report = progress or (lambda share: None)
    full = train_full(task, spec.steps, spec.lr, spec.trainer)
    report(1 / (len(ranks) + 1))
    runs, sweep = [], []
    for rank in ranks:
        run = train_lora(task, rank, spec.alpha, spec.steps, spec.lr, spec.trainer, spec.seed)
        runs.append(RankRun(run.losses, np.linalg.svd(run.delta, compute_uv=False), run.diverged_at))
        sweep.append(SweepPoint(rank, float(run.losses[-1]), task.best_loss(rank), rank * (d + k), run.diverged_at))
        report((rank + 1) / (len(ranks) + 1))
    return Training(spec, task, full, tuple(runs), tuple(sweep))


def at_rank(training: Training, r: int) -> TrainingResult:
    """The training seen at rank r (at most min(d, k) of the task)."""
    r = min(r, len(training.runs))
    return TrainingResult(training.spec, training.task, training.runs[r - 1], training.full, training.sweep, r)


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

"""The training task: a frozen W, a change ΔW* to learn with a chosen spectrum, and data whose best fit is known."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..matrix.values import lora_matrices

TASK_MAX_DIM = 48  # d and k of the task; small enough to train a whole rank sweep in a few seconds
SAMPLES_PER_INPUT = 2  # n = 2·k samples


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
    lr_ratio: float = 1.0  # LoRA+: the output-side factor's learning rate ÷ the input-side one's


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


def loss_and_gradient(task: Task, delta: np.ndarray) -> tuple[float, np.ndarray]:
    """L = ‖(W + ΔW)X − Y‖²/n and ∂L/∂ΔW = (2/n)·E·Xᵀ with E = (W + ΔW)X − Y."""
    error = (task.w + delta) @ task.x - task.y
    return float(np.sum(error**2) / task.n), (2.0 / task.n) * error @ task.x.T


def w_singular_values(task: Task) -> np.ndarray:
    """σ(W), the frozen weight's singular values, largest first: PiSSA's adapter starts with the top r of them."""
    return np.linalg.svd(task.w, compute_uv=False)

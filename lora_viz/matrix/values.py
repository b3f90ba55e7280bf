"""The concrete W, A and B a page draws, and exact block means of them and of their product."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .field import Field, Wave, block_edges

# Salts keep the three matrices independent under one seed.
_SALT_W, _SALT_UP, _SALT_DOWN, _SALT_MAGNITUDE = 1, 2, 3, 4


@dataclass(frozen=True)
class LoraMatrices:
    """W (d×k, frozen), up (d×r, next to the output) and down (r×k, next to the input): ΔW = up·down."""

    w: Field
    up: Field
    down: Field

    @property
    def up_is_zero(self) -> bool:
        return not self.up.noise and not self.up.waves


def _waves(seed: int, salt: int, count: int, amplitude: float, rank_axis: str = "", rank: int = 0) -> tuple[Wave, ...]:
    """A few smooth patterns with seeded frequencies and phases.

    Along a rank axis the frequency is fixed per index (rank/7.3 cycles over rank entries), so entry t of a
    factor does not depend on r: a larger rank only adds columns to up and rows to down.
    """
    waves = []
    for q, (row_cycles, row_phase, col_cycles, col_phase, sign) in enumerate(_wave_draws(seed, salt, count)):
        per_index = rank / 7.3 * (q + 1)
        waves.append(
            Wave(
                row_cycles=per_index if rank_axis == "rows" else row_cycles,
                row_phase=row_phase,
                col_cycles=per_index if rank_axis == "cols" else col_cycles,
                col_phase=col_phase,
                amplitude=amplitude * sign,
            )
        )
    return tuple(waves)


@lru_cache(maxsize=256)
def _wave_draws(seed: int, salt: int, count: int) -> tuple[tuple[float, float, float, float, float], ...]:
    """The seeded random numbers behind _waves: cycles, phases and sign per wave (cached: a generator costs more than the rest)."""
    rng = np.random.default_rng([seed, salt])
    draws = []
    for _ in range(count):
        row_cycles, row_phase, col_cycles, col_phase = (float(v) for v in rng.uniform([0.5, 0, 0.5, 0], [3.5, 2 * np.pi, 3.5, 2 * np.pi]))
        draws.append((row_cycles, row_phase, col_cycles, col_phase, float(rng.choice([-1.0, 1.0]))))
    return tuple(draws)


def lora_matrices(d: int, k: int, r: int, seed: int, trained: bool) -> LoraMatrices:
    """Seeded W (depends on seed, d, k only, never on r), and the adapter at initialisation or 'trained'.

    Initialisation as in the paper: the factor next to the input random, the one next to the output zero,
    so ΔW = 0 at the start. 'Trained' gives both factors smooth structure plus noise.
    """
    w = Field(d, k, seed=seed, salt=_SALT_W, noise=0.3, waves=_waves(seed, _SALT_W, 3, 0.6))
    if not trained:
        return LoraMatrices(w=w, up=Field(d, r), down=Field(r, k, seed=seed, salt=_SALT_DOWN, noise=1.0))
    up = Field(d, r, seed=seed, salt=_SALT_UP, noise=0.3, waves=_waves(seed, _SALT_UP, 2, 0.8, "cols", r))
    down = Field(r, k, seed=seed, salt=_SALT_DOWN, noise=0.3, waves=_waves(seed, _SALT_DOWN, 2, 0.8, "rows", r))
    return LoraMatrices(w=w, up=up, down=down)


def magnitude_example(d: int, seed: int) -> Field:
    """DoRA's m (d×1) as the to-scale drawing shows it, less its mean of 1: a seeded example of row lengths, like the
    drawing's W, A and B (the merge page computes W's own row lengths on its small example)."""
    return Field(d, 1, seed=seed, salt=_SALT_MAGNITUDE, noise=0.1, waves=_waves(seed, _SALT_MAGNITUDE, 2, 0.15))


@lru_cache(maxsize=64)
def grid_means(field: Field, block: int) -> np.ndarray:
    """A field's exact block means over block×block blocks (the last ones possibly smaller), read-only.

    Cached: W depends on d, k and the seed only, so a rank move draws the same W again.
    """
    means = field.block_means(block_edges(field.rows, block), block_edges(field.cols, block))
    means.setflags(write=False)
    return means


# Rank indices per step of product_block_means: its memory stays a few MB at any r (all at once, r = 131,072
# took 96 MB per figure, which a class moving to large ranks together would multiply).
RANK_CHUNK = 4096


def product_block_means(up: Field, down: Field, row_edges: np.ndarray, col_edges: np.ndarray) -> np.ndarray:
    """Exact block means of up·down: mean over I×J of Σ_t up[i,t]·down[t,j] = Σ_t ū(I,t)·d̄(t,J).

    Costs O(blocks² · r), never O(d·k·r); summed over chunks of RANK_CHUNK values of t.
    """
    total = np.zeros((row_edges.size - 1, col_edges.size - 1))
    for start in range(0, up.cols, RANK_CHUNK):
        rank = np.arange(start, min(start + RANK_CHUNK, up.cols) + 1)
        total += up.block_means(row_edges, rank) @ down.block_means(rank, col_edges)  # blocks_d × t, t × blocks_k
    return total

"""Seeded matrices of any size whose exact block sums cost O(1) each.

A matrix M is defined through its 2-D prefix sum P(i, j) = Σ_{a<i, b<j} M[a, b]:
    M[i, j] = P(i+1, j+1) − P(i, j+1) − P(i+1, j) + P(i, j)
so the sum over any block [i0, i1) × [j0, j1) is P(i1, j1) − P(i0, j1) − P(i1, j0) + P(i0, j0).
P is a hashed noise field plus smooth waves, both computable at any (i, j) without the rest of M,
so drawing a 131072×131072 matrix costs as much as drawing a 64×64 one."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_MASK = 2**64 - 1


_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _mix_scalar(x: int) -> int:
    """The splitmix64 finaliser on one Python int."""
    x &= _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def _mix_inplace(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser on a uint64 array, in place (the arrays here can be large)."""
    tmp = np.empty_like(x)
    for shift, multiplier in ((30, _M1), (27, _M2)):
        np.right_shift(x, np.uint64(shift), out=tmp)
        np.bitwise_xor(x, tmp, out=x)
        np.multiply(x, multiplier, out=x)
    np.right_shift(x, np.uint64(31), out=tmp)
    np.bitwise_xor(x, tmp, out=x)
    return x


def hash_uniform(seed: int, salt: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """A uniform value in [−1, 1) for each pair (i[a], j[b]), fixed by (seed, salt); i, j < 2³²."""
    base = _mix_scalar(seed * 0x9E3779B97F4A7C15 + salt)
    rows = np.asarray(i, dtype=np.uint64).ravel() << np.uint64(32)
    cols = np.asarray(j, dtype=np.uint64).ravel()
    keys = rows[:, None] | cols[None, :]
    keys ^= np.uint64(base)
    bits = _mix_inplace(keys) >> np.uint64(11)
    values = bits.astype(np.float64)
    values *= 2.0 / 2**53
    values -= 1.0
    return values


@dataclass(frozen=True)
class Wave:
    """One smooth rank-1 pattern: amplitude · cos(ω(i+½) + φ) · cos(ν(j+½) + ψ)."""

    row_cycles: float  # cycles across all rows
    row_phase: float
    col_cycles: float  # cycles across all columns
    col_phase: float
    amplitude: float


def _wave_prefix(n_total: int, cycles: float, phase: float, idx: np.ndarray) -> np.ndarray:
    """C(n) with C(n+1) − C(n) = cos(ω(n+½) + φ): C(n) = sin(ωn + φ) / (2 sin(ω/2))."""
    omega = 2 * np.pi * min(cycles, n_total / 2) / n_total
    return np.sin(omega * idx + phase) / (2 * np.sin(omega / 2))


@dataclass(frozen=True)
class Field:
    """A rows×cols matrix: hashed noise (each cell a 2-D difference of hashes) plus smooth waves."""

    rows: int
    cols: int
    seed: int = 0
    salt: int = 0
    noise: float = 0.0
    waves: tuple[Wave, ...] = ()

    def prefix(self, row_idx: np.ndarray, col_idx: np.ndarray) -> np.ndarray:
        """P at every (row_idx[a], col_idx[b]), indices in 0…rows and 0…cols."""
        i = np.asarray(row_idx, dtype=np.int64)
        j = np.asarray(col_idx, dtype=np.int64)
        total = np.zeros((i.size, j.size))
        if self.noise:
            total += self.noise * hash_uniform(self.seed, self.salt, i, j)
        for wave in self.waves:
            rows = _wave_prefix(self.rows, wave.row_cycles, wave.row_phase, i)
            cols = _wave_prefix(self.cols, wave.col_cycles, wave.col_phase, j)
            total += wave.amplitude * np.outer(rows, cols)
        return total

    def block_sums(self, row_edges: np.ndarray, col_edges: np.ndarray) -> np.ndarray:
        """Exact sum over each block [row_edges[a], row_edges[a+1]) × [col_edges[b], col_edges[b+1])."""
        p = self.prefix(row_edges, col_edges)
        return p[1:, 1:] - p[:-1, 1:] - p[1:, :-1] + p[:-1, :-1]

    def block_means(self, row_edges: np.ndarray, col_edges: np.ndarray) -> np.ndarray:
        """Exact mean of each block: its sum over its area."""
        areas = np.outer(np.diff(row_edges), np.diff(col_edges))
        return self.block_sums(row_edges, col_edges) / areas

    def cells(self, rows: range, cols: range) -> np.ndarray:
        """The individual values M[rows, cols] (contiguous ranges)."""
        return self.block_sums(np.arange(rows.start, rows.stop + 1), np.arange(cols.start, cols.stop + 1))

    def dense(self) -> np.ndarray:
        """The whole matrix; for tests and small examples only."""
        return self.cells(range(self.rows), range(self.cols))


def block_edges(n: int, block: int) -> np.ndarray:
    """Edges 0, block, 2·block, …, n: equal blocks, the last one possibly shorter."""
    edges = np.arange(0, n + 1, max(1, block), dtype=np.int64)  # 0, block, …: ends at n when block divides n
    return edges if edges[-1] == n else np.append(edges, np.int64(n))

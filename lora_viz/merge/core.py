"""The merge W′ = W + (α/r)·up·down in NumPy, from plain numbers: the animation's frames, merged-vs-separate outputs,
rank, and two mistakes. DoRA's merge goes on: W′ = m ⊙ (W + ΔW)/‖W + ΔW‖, row by row (numbers/variants.py).
Words live in text.py, Plotly's hover templates in figures.py, settings in view.py."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..matrix.values import grid_means, lora_matrices
from ..numbers import precision as p
from ..numbers.counts import scaling
from ..numbers.example import MERGE_FRAMES, ExampleSize, example_size
from ..numbers.variants import dora_magnitude

MAGNITUDE_SPREAD = 0.25  # a trained DoRA magnitude: each row's length times e^(0.25·z), z seeded standard normal

SAMPLE_DIM = 64  # the precision comparison uses up to 64×64 at rank ≤ 16: enough to show rounding, under a ms
SAMPLE_RANK = 16


@dataclass(frozen=True)
class Example:
    """Dense W, up (d×r) and down (r×k) of the small example, the scale (α/r, rsLoRA's α/√r), and for DoRA the
    magnitude m (one per row of W)."""

    size: ExampleSize
    w: np.ndarray
    up: np.ndarray
    down: np.ndarray
    scale: float
    magnitude: np.ndarray | None = None  # DoRA's m; None for the other variants
    variant: str = "lora"

    @property
    def delta(self) -> np.ndarray:
        """ΔW = scale·up·down in fp64."""
        return self.scale * (self.up @ self.down)

    @property
    def adapted(self) -> np.ndarray:
        """W + ΔW: LoRA's merged weight, and what DoRA normalises."""
        return self.w + self.delta

    @property
    def row_lengths(self) -> np.ndarray:
        """‖(W + ΔW)ᵢ‖ for each row i."""
        return np.linalg.norm(self.adapted, axis=1)

    @property
    def merged(self) -> np.ndarray:
        """W′: W + ΔW, or DoRA's m ⊙ (W + ΔW)/‖W + ΔW‖."""
        if self.magnitude is None:
            return self.adapted
        return (self.magnitude / self.row_lengths)[:, None] * self.adapted


def example_magnitude(w: np.ndarray, seed: int, trained: bool) -> np.ndarray:
    """DoRA's m for the example: W's row lengths at the start (so W′ = W), each scaled by e^(0.25·z) once trained."""
    start = dora_magnitude(w)
    if not trained:
        return start
    return start * np.exp(MAGNITUDE_SPREAD * np.random.default_rng([seed, 97]).standard_normal(start.size))


def dense_example(d: int, k: int, r: int, seed: int, trained: bool, alpha: float, variant: str = "lora") -> Example:
    """The seeded matrices at d×k, rank r, as dense fp64 arrays (small sizes only; W read-only, shared by every rank)."""
    m = lora_matrices(d, k, r, seed, trained)
    w = grid_means(m.w, 1)
    magnitude = example_magnitude(w, seed, trained) if variant == "dora" else None
    return Example(ExampleSize(d, k, r, False), w, m.up.dense(), m.down.dense(), scaling(alpha, r, variant), magnitude, variant)


@lru_cache(maxsize=64)
def small_example(d: int, k: int, r: int, seed: int, trained: bool, alpha: float, variant: str = "lora") -> Example:
    """dense_example for the ≤ 16×16 examples the page reads many times per draw (cached, so read-only)."""
    example = dense_example(d, k, r, seed, trained, alpha, variant)
    for array in (example.w, example.up, example.down, *(() if example.magnitude is None else (example.magnitude,))):
        array.setflags(write=False)
    return example


def animated_example(d: int, k: int, r: int, seed: int, trained: bool, alpha: float, variant: str = "lora") -> Example:
    """The animated example: min(d, 16) × min(k, 16) at rank min(r, 8)."""
    size = example_size(d, k, r)
    example = small_example(size.d, size.k, size.r, seed, trained, alpha, variant)
    return Example(size, example.w, example.up, example.down, example.scale, example.magnitude, example.variant)


@dataclass(frozen=True)
class MergeFrame:
    """One step of the animation: what the ΔW and W′ panels show, which step it is, and the term it adds."""

    kind: str  # "start", "term", "scale", "merging", DoRA's "normalised", or "merged"
    delta: np.ndarray
    merged: np.ndarray
    term: int | None = None  # index t of the rank-1 term being added
    share: float = 0.0  # of ΔW added to W, while merging


def merge_frames(e: Example) -> list[MergeFrame]:
    """Start; one frame per rank-1 term up[:, t]·down[t, :]; the α/r scaling; W turning into W + ΔW; for DoRA, each
    row divided by its length, then scaled by its magnitude."""
    product = np.zeros_like(e.w)
    frames = [MergeFrame("start", product.copy(), e.w.copy())]
    for t in range(e.size.r):
        product = product + np.outer(e.up[:, t], e.down[t, :])
        frames.append(MergeFrame("term", product.copy(), e.w.copy(), term=t))
    delta = e.scale * product
    frames.append(MergeFrame("scale", delta, e.w.copy()))
    last = "merged" if e.magnitude is None else "merging"
    for step in range(1, MERGE_FRAMES + 1):
        share = step / MERGE_FRAMES
        frames.append(MergeFrame(last if step == MERGE_FRAMES else "merging", delta, e.w + share * delta, share=share))
    if e.magnitude is not None:
        frames.append(MergeFrame("normalised", delta, e.adapted / e.row_lengths[:, None], share=1.0))
        frames.append(MergeFrame("merged", delta, e.merged, share=1.0))
    return frames


def product_hover(e: Example) -> np.ndarray:
    """Per-cell numbers for the hover (d × k × (2r + 5), DoRA's + 2): i, j (from 1), then up[i, t] and down[t, j] for
    each t, then W[i, j], ΔW[i, j] and W′[i, j]; for DoRA then mᵢ and ‖(W + ΔW)ᵢ‖. Plotly fills them into
    hover_templates, so the figure carries numbers (a compact typed array) rather than a formatted string per cell."""
    d, k, r = e.size.d, e.size.k, e.size.r
    rows, cols = np.meshgrid(np.arange(1, d + 1), np.arange(1, k + 1), indexing="ij")
    terms = np.empty((d, k, 2 * r))
    terms[:, :, 0::2] = e.up[:, None, :]  # up[i, t] for every j
    terms[:, :, 1::2] = e.down.T[None, :, :]  # down[t, j] for every i
    dora = () if e.magnitude is None else (np.repeat(e.magnitude[:, None], k, 1), np.repeat(e.row_lengths[:, None], k, 1))
    return np.dstack([rows, cols, terms, e.w, e.delta, e.merged, *dora])


@dataclass(frozen=True)
class OutputComparison:
    """y = W x + (α/r)·up(down x) vs y = W′ x in one precision, and each against exact fp64 arithmetic."""

    dtype: str
    separate_vs_merged: float  # max |y_separate − y_merged|
    separate_error: float  # max |y_separate − y_exact|
    merged_error: float  # max |y_merged − y_exact|
    output_scale: float  # max |y_exact|


def _row_factor(w, up, down, factor, m, dtype):
    """DoRA's m/‖W + ΔW‖ per row (PEFT takes the norm of the adapter's ΔW added to W, in the input's dtype)."""
    adapted = _merged_weight(w, up, down, factor, None, dtype).astype(np.float64)
    return p.round_to(m / np.linalg.norm(adapted, axis=1, keepdims=True), dtype)


def _separate(w, up, down, x, factor, dtype, m=None):
    """W·x + scale·up·(down·x); DoRA's multiplies each row by m/‖W + ΔW‖."""
    y = p.add(p.matmul(w, x, dtype), p.scale(p.matmul(up, p.matmul(down, x, dtype), dtype), factor, dtype), dtype)
    return y if m is None else p.multiply(_row_factor(w, up, down, factor, m, dtype), y, dtype)


def _merged_weight(w, up, down, factor, m, dtype):
    """W + scale·up·down; DoRA's rows times m/‖W + ΔW‖."""
    adapted = p.add(w, p.scale(p.matmul(up, down, dtype), factor, dtype), dtype)
    return adapted if m is None else p.multiply(_row_factor(w, up, down, factor, m, dtype), adapted, dtype)


def compare_outputs(d: int, k: int, r: int, seed: int, trained: bool, alpha: float,
                    variant: str = "lora") -> tuple[ExampleSize, list[OutputComparison]]:
    """Merged and separate outputs for a seeded random x on up to 64×64 at rank ≤ 16, in fp32, fp16, bf16."""
    size = ExampleSize(min(d, SAMPLE_DIM), min(k, SAMPLE_DIM), min(r, SAMPLE_RANK), False)
    e = dense_example(size.d, size.k, size.r, seed, trained, alpha, variant)
    x = np.random.default_rng([seed, 99]).standard_normal((size.k, 1))
    with np.errstate(over="ignore", invalid="ignore"):  # fp16 overflows at large α/r: the table says so
        results = [_compare(e, x, dtype) for dtype in p.PRECISIONS]
    return size, results


def _compare(e: Example, x: np.ndarray, dtype: str) -> OutputComparison:
    """Separate and merged outputs in one precision, each against exact fp64 arithmetic on the same stored inputs."""
    w, up, down, xs = (p.round_to(a, dtype) for a in (e.w, e.up, e.down, x))
    m = None if e.magnitude is None else p.round_to(e.magnitude[:, None], dtype)
    exact = _separate(*(a.astype(np.float64) for a in (w, up, down, xs)), e.scale, "fp64",
                      None if m is None else m.astype(np.float64))
    separate = _separate(w, up, down, xs, e.scale, dtype, m).astype(np.float64)
    merged = p.matmul(_merged_weight(w, up, down, e.scale, m, dtype), xs, dtype).astype(np.float64)
    return OutputComparison(
        dtype=dtype,
        separate_vs_merged=float(np.abs(separate - merged).max()),
        separate_error=float(np.abs(separate - exact).max()),
        merged_error=float(np.abs(merged - exact).max()),
        output_scale=float(np.abs(exact).max()),
    )


@dataclass(frozen=True)
class TokenCost:
    """Floating-point operations per token (one input vector) for the current d, k, r."""

    merged: int  # 2dk
    separate: int  # 2dk + 2r(d + k) + d

    @property
    def extra_percent(self) -> float:
        return 100.0 * (self.separate - self.merged) / self.merged


def token_cost(d: int, k: int, r: int) -> TokenCost:
    """Merged: W′x costs 2dk. Separate: Wx (2dk), down·x (2rk), up·(…) (2dr), and d additions of the two paths."""
    return TokenCost(merged=2 * d * k, separate=2 * d * k + 2 * r * (d + k) + d)


@dataclass(frozen=True)
class Spectra:
    """Singular values of ΔW (fp64) and of W′ − W when W′ is stored in a given precision."""

    delta: np.ndarray
    merged_minus_w: np.ndarray
    merged_dtype: str


def spectra(e: Example, dtype: str) -> Spectra:
    """σ(ΔW): at most r non-zero, the rest at machine zero. σ(W′ − W) with W′ rounded to dtype: rounding adds a floor
    (DoRA's W′ − W also rescales every row of W, so it is not low rank at all)."""
    if e.magnitude is None:
        merged = p.add(e.w, p.round_to(e.delta, dtype), dtype).astype(np.float64)
    else:
        merged = p.round_to(e.merged, dtype).astype(np.float64)
    return Spectra(
        delta=np.linalg.svd(e.delta, compute_uv=False),
        merged_minus_w=np.linalg.svd(merged - p.round_to(e.w, dtype).astype(np.float64), compute_uv=False),
        merged_dtype=dtype,
    )


@dataclass(frozen=True)
class MergeTwice:
    """Merging the same adapter twice gives W + 2ΔW."""

    weight_error: float  # max |W″ − W′| = max |ΔW|
    output_change: float  # ‖(W″ − W′)x‖ / ‖W′x‖


def merge_twice(e: Example, seed: int) -> MergeTwice:
    """How far W + 2ΔW is from W′ = W + ΔW, in weights and in outputs for a random x."""
    x = np.random.default_rng([seed, 98]).standard_normal(e.size.k)
    merged = e.adapted
    return MergeTwice(
        weight_error=float(np.abs(e.delta).max()),
        output_change=float(np.linalg.norm(e.delta @ x) / np.linalg.norm(merged @ x)),
    )


@dataclass(frozen=True)
class TwoAdapters:
    """Adding two adapters' factors separately vs adding their products."""

    correct: np.ndarray  # up₁down₁ + up₂down₂
    wrong: np.ndarray  # (up₁ + up₂)(down₁ + down₂)
    cross: np.ndarray  # up₁down₂ + up₂down₁ = wrong − correct
    concatenated: np.ndarray  # [up₁ up₂]·[down₁; down₂], equal to correct
    cross_share: float  # ‖cross‖ / ‖correct‖ (Frobenius)


def two_adapters(d: int, k: int, r: int, seed: int, alpha: float) -> TwoAdapters:
    """Two trained adapters on the example: summing factors adds cross terms; concatenating them does not."""
    size = example_size(d, k, r)
    one = small_example(size.d, size.k, size.r, seed, True, alpha)
    two = small_example(size.d, size.k, size.r, seed + 1, True, alpha)
    correct = one.up @ one.down + two.up @ two.down
    wrong = (one.up + two.up) @ (one.down + two.down)
    cross = one.up @ two.down + two.up @ one.down
    concatenated = np.hstack([one.up, two.up]) @ np.vstack([one.down, two.down])
    return TwoAdapters(correct, wrong, cross, concatenated, float(np.linalg.norm(cross) / np.linalg.norm(correct)))


def overflowed(result: OutputComparison) -> bool:
    """True when a result left the precision's range (an infinity, or inf − inf = NaN, in its outputs)."""
    return not all(math.isfinite(v) for v in (result.separate_vs_merged, result.separate_error, result.merged_error))


def initialisation_gap(d: int, k: int, r: int, seed: int, alpha: float) -> float:
    """max |W′ − W| for the adapter as initialised: exactly 0, because the output-side factor starts at zero."""
    return float(np.abs(animated_example(d, k, r, seed, False, alpha).delta).max())

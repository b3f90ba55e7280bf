"""Text alternatives for the merge page's figures, from the same numbers the figures draw."""

from __future__ import annotations

import numpy as np

from ..names import float_dtype
from ..notation import labels
from ..numbers.counts import scaling, scaling_text
from ..settings import Settings
from .core import spectra
from .view import by_example, merge_example, two_adapters
from ..numbers.example import example_size, frame_count


def merge_animation_alt(s: Settings) -> str:
    size = example_size(s.d, s.k, s.r)
    n = labels(s.notation)
    scale = scaling_text(s.variant)
    dora = (" Then, for DoRA, each row of W + ΔW is divided by its length and multiplied by its magnitude mᵢ, drawn as a "
            f"{size.d}×1 column beside W′.") if s.variant == "dora" else ""
    return (
        f"Animation in {frame_count(s.r, s.variant)} steps on a {size.d}×{size.k} example at rank {size.r}: ΔW = ({scale})·{n.product} "
        f"built from {size.r} rank-1 terms, scaled by {scale} = {scaling(s.alpha, size.r, s.variant):.4g}, then added to W to give "
        f"W + ΔW, drawn beside W.{dora} Hovering a cell of ΔW, W or W′ outlines the row of " + n.up + " and the column of "
        + n.down + " that make it."
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

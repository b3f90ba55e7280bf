"""Text alternatives for the matrices page's figures, from the same numbers the figures draw."""

from __future__ import annotations

from ..notation import labels
from ..numbers.counts import scaling, scaling_text
from ..settings import Settings
from .budget import product_block
from .layout import magnified_corner, scale_layout
from .text import scale_caption


def drawing_alt(s: Settings) -> str:
    """The to-scale drawing, and its magnified corner when it has one."""
    magnified = " Beneath it: " + magnifier_alt(s) if scale_layout(s.d, s.k, s.r).needs_magnifier else ""
    return scale_caption(s) + magnified


def magnifier_alt(s: Settings) -> str:
    n = labels(s.notation)
    rows, cols, rank = magnified_corner(s.d, s.k, s.r)
    return (
        f"Magnified top-left corner at one scale: W {rows}×{cols} of its {s.d:,}×{s.k:,} weights, {n.up} {rows}×{rank}, "
        f"{n.down} {rank}×{cols}; every square is one weight."
        + (f" {n.up} is all zeros (initialisation)." if not s.trained else "")
    )


def delta_alt(s: Settings) -> str:
    block = product_block(s.d, s.k, s.r)
    cells = "every weight" if block == 1 else f"exact means of {block:,}×{block:,} blocks"
    scale = scaling_text(s.variant)
    return (f"ΔW = ({scale})·{labels(s.notation).product} with {scale} = {scaling(s.alpha, s.r, s.variant):.4g}: a {s.d:,}×{s.k:,} "
            f"matrix of rank at most {s.r:,}, drawn as {cells}.")


def scaling_alt(s: Settings) -> str:
    """The rsLoRA chart: α/r against α/√r, with their values at the current rank."""
    return (f"Two lines over the rank on log axes: LoRA's scaling α/r falls as 1/r, rsLoRA's α/√r as 1/√r. At r = {s.r:,} "
            f"with α = {s.alpha:g}: α/r = {scaling(s.alpha, s.r):.4g}, α/√r = {scaling(s.alpha, s.r, 'rslora'):.4g}.")

"""What ΔW's exact block means cost (corner lookups), and when a page computes them after answering."""

from __future__ import annotations

import math

from .layout import MAX_CELLS

PRODUCT_BUDGET = 2_000_000  # blocks·r corner lookups allowed for ΔW's block means
INSTANT_LOOKUPS = 250_000  # about 5–10 ms: more than this and ΔW is computed after the page answers


def product_lookups(d: int, k: int, r: int) -> int:
    """Corner lookups for ΔW's exact block means: (row edges + column edges)·(r + 1), so O(blocks·r) at any d, k."""
    block = product_block(d, k, r)
    return (math.ceil(d / block) + math.ceil(k / block) + 2) * (r + 1)


def product_block(d: int, k: int, r: int) -> int:
    """Block size for ΔW = up·down: W's grid, coarsened when r is so large that blocks·r would exceed the budget."""
    cells = max(8, min(MAX_CELLS, PRODUCT_BUDGET // max(r, 1)))
    return max(1, math.ceil(max(d, k) / cells))

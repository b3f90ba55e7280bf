"""The to-scale drawing's geometry: one scale for W, A and B, and when a magnified corner is needed."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..render.geometry import Box
from .field import block_edges

NOMINAL_WIDTH_PX = 560  # plot width the drawing is sized for; Plotly keeps the scale at any width
MAX_HEIGHT_PX = 520


MAX_CELLS = 64  # at most this many drawn cells along W's longer side: finer than the drawing's pixels already
THIN_PX = 3.0  # a strip thinner than this gets a magnified view


@dataclass(frozen=True)
class ScaleLayout:
    """The classic LoRA picture drawn to scale: W on the left, up (d×r) over down (r×k) on the right."""

    d: int
    k: int
    r: int
    gap: float
    w: Box
    up: Box
    down: Box
    width: float  # whole drawing, cell units
    height: float
    block: int  # drawn cell = block×block weights (1 = every weight drawn)
    px_per_cell: float  # at NOMINAL_WIDTH_PX
    magnitude: Box | None = None  # DoRA's m (d×1), beside the output-side factor

    @property
    def thinnest_px(self) -> float:
        """Pixels across the thinnest thing drawn: min(d, k, r) cells."""
        return min(self.d, self.k, self.r) * self.px_per_cell

    @property
    def needs_magnifier(self) -> bool:
        return self.thinnest_px < THIN_PX

    @property
    def height_px(self) -> int:
        """Figure height that fits the drawing at the nominal width."""
        return int(min(MAX_HEIGHT_PX, max(220, self.height * self.px_per_cell + 90)))

    def edges(self, n: int) -> np.ndarray:
        """Block edges along an axis of n cells."""
        return block_edges(n, self.block)


def scale_layout(d: int, k: int, r: int, magnitude: bool = False) -> ScaleLayout:
    """Positions for W (d×k), up (d×r) beside it and down (r×k) below up; one cell is one unit everywhere. With
    `magnitude` (DoRA), m (d×1) stands a quarter gap right of up."""
    gap = max(1.0, 0.08 * max(d, k))
    w = Box(0, k, 0, d)
    up = Box(k + gap, k + gap + r, 0, d)
    down = Box(k + gap, 2 * k + gap, d + gap / 2, d + gap / 2 + r)
    m = Box(up.x1 + gap / 4, up.x1 + gap / 4 + 1, 0, d) if magnitude else None
    width = max(2 * k + gap, m.x1 if m else 0)
    height = d + 1.9 * gap + r  # room above for the output and below for the input arrows
    px = min(NOMINAL_WIDTH_PX / width, (MAX_HEIGHT_PX - 90) / height)
    block = max(1, math.ceil(max(d, k) / MAX_CELLS))
    return ScaleLayout(d=d, k=k, r=r, gap=gap, w=w, up=up, down=down, width=width, height=height, block=block, px_per_cell=px,
                       magnitude=m)


MAGNIFIED_CELLS = 12  # rows, columns and ranks the magnified corner shows at most


def magnified_corner(d: int, k: int, r: int) -> tuple[int, int, int]:
    """The magnified corner's rows, columns and rank: min(d, 12), min(k, 12), min(r, 12)."""
    return min(d, MAGNIFIED_CELLS), min(k, MAGNIFIED_CELLS), min(r, MAGNIFIED_CELLS)

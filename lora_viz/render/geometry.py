"""The geometry figures are drawn in: rectangles in cell units."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Box:
    """A rectangle in cell units: x grows to the right (columns), y grows downwards (rows)."""

    x0: float
    x1: float
    y0: float
    y1: float

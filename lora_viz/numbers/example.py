"""The small concrete example the merge page animates: every cell visible, following the settings where they fit."""

from __future__ import annotations

from dataclasses import dataclass

MAX_EXAMPLE_DIM = 16  # rows and columns of the animated W: every cell readable, even on a phone
MAX_EXAMPLE_RANK = 8


MERGE_FRAMES = 4  # frames in which W turns into W′
PHASES_WITHOUT_TERMS = 2 + MERGE_FRAMES  # start, α/r scaling, and the merge
DORA_FRAMES = 2  # DoRA's merge goes on: each row of W + ΔW divided by its length, then scaled by its magnitude


@dataclass(frozen=True)
class ExampleSize:
    """The animated example's d, k, r and whether the settings had to be scaled down to get there."""

    d: int
    k: int
    r: int
    scaled_down: bool


def example_size(d: int, k: int, r: int) -> ExampleSize:
    """min(d, 16) × min(k, 16) at rank min(r, 8)."""
    size = ExampleSize(min(d, MAX_EXAMPLE_DIM), min(k, MAX_EXAMPLE_DIM), min(r, MAX_EXAMPLE_RANK), False)
    return ExampleSize(size.d, size.k, size.r, (size.d, size.k, size.r) != (d, k, r))


def frame_count(r: int, variant: str = "lora") -> int:
    """Frames for rank r's example: start, one per rank-1 term, α/r, then the merge (DoRA's: two more)."""
    return min(r, MAX_EXAMPLE_RANK) + PHASES_WITHOUT_TERMS + (DORA_FRAMES if variant == "dora" else 0)

"""Names for the two LoRA factors: the project's card (W + A×B) or the paper's (W₀ + BA)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Labels:
    """What the factors are called and how the formulas read in one notation."""

    up: str  # the d×r factor next to the output
    down: str  # the r×k factor next to the input
    product: str  # ΔW written in this notation
    merged: str  # the merged weight
    output: str  # y for an input x, adapter kept separate
    note: str


CARD = Labels(
    up="A",
    down="B",
    product="A×B",
    merged="W′ = W + A×B",
    output="y = W·x + A·(B·x)",
    note="Card notation: A is d×r, B is r×k. The LoRA paper swaps the names (W₀ + BA); tools differ on this.",
)
PAPER = Labels(
    up="B",
    down="A",
    product="B·A",
    merged="W′ = W₀ + B·A",
    output="h = W₀·x + B·(A·x)",
    note="Paper notation (Hu et al. 2021, PEFT): B is d×r, A is r×k. Some tools write A×B instead; tools differ on this.",
)


def labels(notation: str) -> Labels:
    """The labels for 'card' or 'paper'."""
    return PAPER if notation == "paper" else CARD

"""Parameter counts for one d×k weight matrix: full fine-tuning vs LoRA at rank r (exact Python ints)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class ParamCounts:
    """How many parameters each way of fine-tuning trains, freezes and serves."""

    d: int
    k: int
    r: int
    full_trained: int  # d·k
    full_served: int  # d·k
    lora_trainable: int  # r·(d + k)
    lora_frozen: int  # d·k
    served_separate: int  # d·k + r·(d + k)
    served_merged: int  # d·k

    @property
    def trainable_percent(self) -> float:
        """LoRA's trainable parameters as a percentage of full fine-tuning's: 100·r(d+k)/(dk)."""
        return 100.0 * self.lora_trainable / self.full_trained

    @property
    def reduction(self) -> Fraction:
        """How many times fewer parameters LoRA trains: dk / r(d+k)."""
        return Fraction(self.full_trained, self.lora_trainable)


# The seed question's formulas, written once: headline numbers, the lesson and the exports all read them.
FORMULAS = {
    "full_trained": "d·k",
    "lora_trainable": "r·(d + k)",
    "lora_frozen": "d·k",
    "served_separate": "d·k + r·(d + k)",
    "served_merged": "d·k",
    "trainable_percent": "100·r·(d + k)/(d·k)",
}


def with_numbers(c: ParamCounts, name: str) -> str:
    """A formula's terms with this matrix's numbers: d·k → "4,096 × 4,096", r·(d + k) → "4,096×8 + 8×4,096"."""
    dk = f"{c.d:,} × {c.k:,}"
    return {
        "full_trained": dk,
        "lora_frozen": dk,
        "served_merged": dk,
        "lora_trainable": f"{c.d:,}×{c.r:,} + {c.r:,}×{c.k:,}",
        "served_separate": f"{c.full_trained:,} + {c.lora_trainable:,}",
        "trainable_percent": f"100 · {c.lora_trainable:,} / {c.full_trained:,}",
    }[name]


def count_params(d: int, k: int, r: int) -> ParamCounts:
    """Counts for W (d×k) and a rank-r adapter: trainable r(d+k), frozen dk, served dk + r(d+k) or dk merged."""
    full = d * k
    adapter = r * (d + k)
    return ParamCounts(
        d=d,
        k=k,
        r=r,
        full_trained=full,
        full_served=full,
        lora_trainable=adapter,
        lora_frozen=full,
        served_separate=full + adapter,
        served_merged=full,
    )


def scaling(alpha: float, r: int) -> float:
    """LoRA's scaling of its update: ΔW = (α/r)·up·down (PEFT's lora_alpha / r)."""
    return alpha / r


def break_even_rank(d: int, k: int) -> Fraction:
    """The rank dk/(d+k) at which LoRA trains as many parameters as full fine-tuning."""
    return Fraction(d * k, d + k)

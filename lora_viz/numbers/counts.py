"""Parameter counts for one d×k weight matrix: full fine-tuning vs LoRA at rank r (exact Python ints)."""

from __future__ import annotations

from dataclasses import dataclass
import math
from fractions import Fraction


@dataclass(frozen=True)
class ParamCounts:
    """How many parameters each way of fine-tuning trains, freezes and serves."""

    d: int
    k: int
    r: int
    full_trained: int  # d·k
    full_served: int  # d·k
    lora_trainable: int  # r·(d + k), and DoRA's magnitude: + d
    lora_frozen: int  # d·k
    served_separate: int  # d·k + r·(d + k) (+ d)
    served_merged: int  # d·k
    magnitude: int = 0  # DoRA's magnitude vector, one per output row of W: d (0 for the other variants)

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


# DoRA trains a magnitude vector beside the factors, one entry per output row (PEFT's lora_magnitude_vector): + d.
DORA_FORMULAS = {
    "lora_trainable": "r·(d + k) + d",
    "served_separate": "d·k + r·(d + k) + d",
    "trainable_percent": "100·(r·(d + k) + d)/(d·k)",
}


def formulas(variant: str = "lora") -> dict[str, str]:
    """The seed question's formulas for a variant: DoRA adds its magnitude's d; rsLoRA and PiSSA count as LoRA."""
    return FORMULAS | DORA_FORMULAS if variant == "dora" else FORMULAS


def with_numbers(c: ParamCounts, name: str) -> str:
    """A formula's terms with this matrix's numbers: d·k → "4,096 × 4,096", r·(d + k) → "4,096×8 + 8×4,096"."""
    dk = f"{c.d:,} × {c.k:,}"
    magnitude = f" + {c.magnitude:,}" if c.magnitude else ""
    return {
        "full_trained": dk,
        "lora_frozen": dk,
        "served_merged": dk,
        "lora_trainable": f"{c.d:,}×{c.r:,} + {c.r:,}×{c.k:,}{magnitude}",
        "served_separate": f"{c.full_trained:,} + {c.lora_trainable:,}",
        "trainable_percent": f"100 · {c.lora_trainable:,} / {c.full_trained:,}",
    }[name]


def count_params(d: int, k: int, r: int, variant: str = "lora") -> ParamCounts:
    """Counts for W (d×k) and a rank-r adapter: trainable r(d+k) (DoRA: + d), frozen dk, served dk + trainable, or dk
    merged (DoRA's magnitude merges into W′ too)."""
    full = d * k
    magnitude = d if variant == "dora" else 0
    adapter = r * (d + k) + magnitude
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
        magnitude=magnitude,
    )


def scaling(alpha: float, r: int, variant: str = "lora") -> float:
    """LoRA's scaling of its update: ΔW = (α/r)·up·down (PEFT's lora_alpha / r); rsLoRA's α/√r (use_rslora)."""
    return alpha / math.sqrt(r) if variant == "rslora" else alpha / r


def scaling_text(variant: str = "lora") -> str:
    """The scaling's formula: α/r, or rsLoRA's α/√r."""
    return "α/√r" if variant == "rslora" else "α/r"


def break_even_rank(d: int, k: int) -> Fraction:
    """The rank dk/(d+k) at which LoRA trains as many parameters as full fine-tuning."""
    return Fraction(d * k, d + k)

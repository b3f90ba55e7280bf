"""The LoRA variants' arithmetic on one matrix, as PEFT does it, in PEFT's names and shapes: W is out × in, A (lora_A)
r × in, B (lora_B) out × r, and the update s·B·A with s = α/r (peft/tuners/lora/layer.py, variants.py).

- PiSSA's start (init_lora_weights="pissa"): W = V·S·Uᵀ; A = √(S_r/s)·Uᵀ_r, B = V_r·√(S_r/s), and the base becomes the
  residual W − s·B·A, so that the model is unchanged at the start: residual + s·B·A = W.
- DoRA's merge (use_dora=True): W′ = m ⊙ (W + s·B·A) / ‖W + s·B·A‖, row by row (one magnitude m_i per output row),
  with m started at W's row norms, so that W′ = W before training.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PissaStart:
    """PiSSA's initial factors and the residual base it leaves in place of W."""

    a: np.ndarray  # r × in
    b: np.ndarray  # out × r
    residual: np.ndarray  # out × in: W − s·B·A


def pissa_start(w: np.ndarray, r: int, alpha: float) -> PissaStart:
    """A = √(S_r/s)·Uᵀ_r, B = V_r·√(S_r/s) from W's top-r singular triplets, residual W − s·B·A, s = α/r."""
    s = alpha / r
    v, singular, uh = np.linalg.svd(np.asarray(w, dtype=np.float64), full_matrices=False)
    root = np.sqrt(singular[:r] / s)
    a = root[:, None] * uh[:r]
    b = v[:, :r] * root[None, :]
    return PissaStart(a=a, b=b, residual=w - s * b @ a)


def dora_magnitude(w: np.ndarray) -> np.ndarray:
    """DoRA's magnitude at the start: the norm of each output row of W, ‖W_i‖."""
    return np.linalg.norm(np.asarray(w, dtype=np.float64), axis=1)


def dora_merge(w: np.ndarray, a: np.ndarray, b: np.ndarray, m: np.ndarray, alpha: float) -> np.ndarray:
    """W′ = m ⊙ (W + s·B·A) / ‖W + s·B·A‖ row by row, s = α/r (r = A's rows)."""
    adapted = np.asarray(w, dtype=np.float64) + alpha / a.shape[0] * b @ a
    return (np.asarray(m, dtype=np.float64) / np.linalg.norm(adapted, axis=1))[:, None] * adapted

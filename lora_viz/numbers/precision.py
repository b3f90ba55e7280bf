"""Rounding to fp32, fp16 and bf16 in NumPy, to show how exact a merge is in each precision.

Model of a GPU kernel: inputs are stored in the dtype, products accumulate in fp32, and every result is
rounded back to the dtype. NumPy has no bf16, so it is emulated by rounding fp32 to its top 16 bits."""

from __future__ import annotations

import numpy as np

from ..names import FLOAT_DTYPES

PRECISIONS = FLOAT_DTYPES  # the precisions a merge is compared in: every dtype that computes
LARGEST = {"fp32": float(np.finfo(np.float32).max), "fp16": float(np.finfo(np.float16).max), "bf16": 3.3895313892515355e38}


def largest_text(dtype: str) -> str:
    """The dtype's largest finite value, for text: 65,504 for fp16."""
    return f"{LARGEST[dtype]:,.0f}" if LARGEST[dtype] < 1e6 else f"{LARGEST[dtype]:.3g}"


def to_bf16(x: np.ndarray) -> np.ndarray:
    """Round to the nearest bf16 value (ties to even), returned as fp32 holding that value exactly."""
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)
    rounded = (bits + (((bits >> 16) & 1) + 0x7FFF)) & 0xFFFF0000
    return rounded.astype(np.uint32).view(np.float32)


def round_to(x: np.ndarray, dtype: str) -> np.ndarray:
    """x rounded to dtype, held in fp32 (or fp64 for 'fp64')."""
    if dtype == "fp64":
        return np.asarray(x, dtype=np.float64)
    if dtype == "fp32":
        return np.asarray(x, dtype=np.float32)
    if dtype == "fp16":
        return np.asarray(x, dtype=np.float16).astype(np.float32)
    if dtype == "bf16":
        return to_bf16(x)
    raise ValueError(f"unknown precision {dtype!r}")


def matmul(a: np.ndarray, b: np.ndarray, dtype: str) -> np.ndarray:
    """a @ b accumulated in fp32 (fp64 for 'fp64'), rounded to dtype."""
    work = np.float64 if dtype == "fp64" else np.float32
    return round_to(a.astype(work) @ b.astype(work), dtype)


def add(a: np.ndarray, b: np.ndarray, dtype: str) -> np.ndarray:
    """a + b rounded to dtype."""
    work = np.float64 if dtype == "fp64" else np.float32
    return round_to(a.astype(work) + b.astype(work), dtype)


def scale(a: np.ndarray, factor: float, dtype: str) -> np.ndarray:
    """factor · a rounded to dtype."""
    work = np.float64 if dtype == "fp64" else np.float32
    return round_to(a.astype(work) * work(factor), dtype)


def multiply(a: np.ndarray, b: np.ndarray, dtype: str) -> np.ndarray:
    """a · b elementwise (broadcast) rounded to dtype."""
    work = np.float64 if dtype == "fp64" else np.float32
    return round_to(a.astype(work) * b.astype(work), dtype)

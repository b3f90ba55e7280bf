"""The merge page's settings, read once: which example it animates and compares, and the cached results of each."""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from ..keys import depends_on
from ..numbers.example import ExampleSize, example_size
from ..settings import Settings
from . import core
from .core import SAMPLE_DIM, SAMPLE_RANK, Example, OutputComparison, TwoAdapters

EXAMPLE = ("d", "k", "r", "seed", "trained", "alpha", "variant")  # what the animated example is made of


def to_example(s: Settings) -> Settings:
    """The settings at the animated example's size: min(d, 16) × min(k, 16) at rank min(r, 8)."""
    size = example_size(s.d, s.k, s.r)
    return replace(s, d=size.d, k=size.k, r=size.r)


def to_sample(s: Settings) -> Settings:
    """The settings at the precision comparison's size: min(d, 64) × min(k, 64) at rank min(r, 16)."""
    return replace(s, d=min(s.d, SAMPLE_DIM), k=min(s.k, SAMPLE_DIM), r=min(s.r, SAMPLE_RANK))


def by_example(*keys: str) -> Callable[[Callable[[Settings], str]], Callable[[Settings], str]]:
    """A text about the example and `keys`, cached by the example's settings: a rank move above 8 then costs a
    lookup, not the example's NumPy work again. Texts are strings, so sharing them between sessions is safe."""
    return depends_on(*EXAMPLE, *keys, reduce=to_example, memo=64)


def merge_example(s: Settings) -> Example:
    """The animated example: min(d, 16) × min(k, 16) at rank min(r, 8)."""
    return core.animated_example(s.d, s.k, s.r, s.seed, s.trained, s.alpha, s.variant)


@depends_on(*EXAMPLE, reduce=to_sample)
def compare_outputs(s: Settings) -> tuple[ExampleSize, list[OutputComparison]]:
    """Merged and separate outputs for a seeded random x on up to 64×64 at rank ≤ 16, in fp32, fp16, bf16."""
    return core.compare_outputs(s.d, s.k, s.r, s.seed, s.trained, s.alpha, s.variant)


def two_adapters(s: Settings) -> TwoAdapters:
    """Two trained adapters on the example: summing factors adds cross terms; concatenating them does not."""
    return core.two_adapters(s.d, s.k, s.r, s.seed, s.alpha)


def initialisation_gap(s: Settings) -> float:
    """max |W′ − W| for the adapter as initialised: exactly 0."""
    return core.initialisation_gap(s.d, s.k, s.r, s.seed, s.alpha)

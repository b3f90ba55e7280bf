"""Text alternatives for the lesson's pictures, from the same numbers the pictures draw."""

from __future__ import annotations

from dataclasses import replace

from ..matrix.alt import delta_alt, drawing_alt, scaling_alt
from ..merge.alt import merge_animation_alt
from ..numbers.example import example_size
from ..notation import labels
from ..settings import Settings
from .figures import step_bars
from ..outline import OUTLINE


def step_alt(s: Settings, revealed: bool) -> str:
    """What the current step's picture shows, its hidden answer said to be hidden."""
    kind = OUTLINE[s.lesson].figure
    n = labels(s.notation)
    if bars := step_bars(s, revealed):
        said = [f"{bar.label}: {'not shown until a guess is checked' if bar.hidden else bar.said or bar.text}" for bar in bars.bars]
        return f"{bars.title}, as bars in {bars.unit}: " + "; ".join(said) + "."
    if kind == "full":
        return (f"W alone, {s.d:,}×{s.k:,}, outlined as trained: full fine-tuning updates every entry and has no "
                f"{n.up} or {n.down}.")
    if kind == "lit":
        return (drawing_alt(s) + f" {n.up} and {n.down} are outlined in amber: the only matrices trained; W is dimmed, "
                "frozen, with no gradient.")
    if kind == "merge":
        size = example_size(s.d, s.k, s.r)
        scaled = f" Scaled down: the {size.d}×{size.k} example stands for {s.d:,}×{s.k:,}." if size.scaled_down else ""
        return merge_animation_alt(s) + scaled
    if kind == "delta":
        return delta_alt(s) + f" Every weight of W changes, yet ΔW is made of {s.r * (s.d + s.k):,} numbers."
    if kind == "rslora":
        return scaling_alt(s)
    if kind == "dora":
        return drawing_alt(replace(s, variant="dora"))
    return drawing_alt(s)

"""The merge page's explanations, with the example's numbers filled in (the page only lays them out)."""

from __future__ import annotations

from ..notation import labels
from ..numbers import precision as p
from ..numbers.precision import largest_text
from ..render.markdown import caption, markdown_table
from ..notation import Labels
from ..numbers.example import ExampleSize, example_size
from ..settings import Settings
from .core import SAMPLE_RANK, Example, MergeFrame, OutputComparison, merge_frames, merge_twice, overflowed, token_cost
from .view import by_example, initialisation_gap, merge_example, two_adapters

PLAY_HINT = (
    "Press ▶ Play under the figure: playback runs in your browser, from the step chosen above it. "
    "Point at a cell of ΔW (tap it on a phone) to see the products that make it, or of W′ to see W + ΔW, in the "
    "caption beneath the figure."
)


def same_answer_text(s: Settings, size: ExampleSize, results: list[OutputComparison]) -> str:
    """Merged vs separate outputs in each precision (the setup, the table, what it shows), then the FLOPs per token."""
    names = labels(s.notation)
    cost = token_cost(s.d, s.k, s.r)
    flops = {
        "FLOPs per token": ["merged: W′·x = 2·d·k", f"separate: W·x + {names.up}·({names.down}·x) = 2·d·k + 2·r·(d + k) + d"],
        f"at {s.d:,}×{s.k:,}, r = {s.r:,}": [f"{cost.merged:,}", f"{cost.separate:,} (+{cost.extra_percent:.3g}%)"],
    }
    return (
        f"For a random input x: y_separate = W·x + (α/r)·{names.up}·({names.down}·x) and y_merged = W′·x, "
        f"on a {size.d}×{size.k} example at rank {size.r}. Inputs are stored in each precision, products accumulate in fp32."
        f"\n\n{markdown_table(comparison_rows(results))}\n\n"
        + caption(precision_caption(s, results))
        + f"\n\nServing merged also costs nothing extra; serving the adapter separately adds its two thin products:\n\n{markdown_table(flops)}"
    )


def precision_caption(s: Settings, results: list[OutputComparison]) -> str:
    """What the precision table shows, including a precision whose range the merge left."""
    text = "In fp32 the two agree to rounding; in fp16 and bf16 merging is not bit-exact — the table says by how much."
    for result in results:
        if overflowed(result):
            text += (f" In {result.dtype}, values past {largest_text(result.dtype)} (its largest) become infinite: with "
                     f"α/r = {s.alpha:g}/{min(s.r, SAMPLE_RANK)} the adapter's products overflow, so that row has no numbers.")
    return text


@by_example("notation")
def initialisation_text(s: Settings) -> str:
    """Why W′ = W exactly at the start: the output-side factor is zero."""
    names = labels(s.notation)
    return (
        f"With {names.up} = 0 (the paper's start), ΔW = 0 and the merged matrix equals W: max |W′ − W| = "
        f"**{initialisation_gap(s):g}** exactly. "
        + ("Switch off “Trained adapter” to see the animation add nothing." if s.trained else "")
    )


@by_example()
def merging_twice_text(s: Settings) -> str:
    """W + 2·ΔW, by how much it moves weights and outputs, and how libraries prevent it."""
    twice = merge_twice(merge_example(s), s.seed)
    return (
        f"Merging the same adapter again gives W + 2·ΔW. Here that moves weights by up to **{twice.weight_error:.3g}** and "
        f"changes the output by **{twice.output_change:.1%}** of its size. Libraries keep a *merged* flag on each layer "
        "(PEFT warns and skips an adapter that is already merged) so that a second merge, or an unmerge that was never needed, "
        "cannot happen by accident."
    )


@by_example("notation")
def two_adapters_text(s: Settings) -> str:
    """Summing two adapters' factors adds cross terms; concatenating them gives exactly the sum."""
    names = labels(s.notation)
    pair = two_adapters(s)
    return (
        f"Two adapters on the same W: adding the products is right; adding the factors first multiplies out to the right "
        f"answer plus cross terms, here **{pair.cross_share:.0%}** of the right answer's size (Frobenius norm). "
        f"Putting the factors side by side instead — [{names.up}₁ {names.up}₂] times [{names.down}₁; {names.down}₂], rank 2r — "
        f"gives exactly the sum (largest difference {abs(pair.concatenated - pair.correct).max():.1g})."
    )


def example_note(s: Settings) -> str:
    """Which example the animation shows and whether it was scaled down from the settings."""
    size = example_size(s.d, s.k, s.r)
    shown = f"{size.d}×{size.k} at rank {size.r}"
    if not size.scaled_down:
        return f"The animation uses the current settings, {shown}: every cell is one weight."
    return (
        f"Scaled down so every cell is visible: the animation shows {shown} "
        f"(the settings are {s.d:,}×{s.k:,} at rank {s.r:,}); the steps are the same at any size."
    )


def frame_name(frame: MergeFrame) -> str:
    """A frame's short name, for the 'open at step' control and the animation: start, 1, 2, …, α/r, 25%, …, merged."""
    return {"start": "start", "term": str((frame.term or 0) + 1), "scale": "α/r", "merged": "merged"}.get(frame.kind, f"{frame.share:.0%}")


def frame_caption(frame: MergeFrame, e: Example, names: Labels, alpha: float) -> str:
    """What a frame shows, in words, with the example's numbers."""
    r = e.size.r
    if frame.kind == "start":
        return (f"W is frozen; {names.up} ({e.size.d}×{r}) and {names.down} ({r}×{e.size.k}) are the trained factors. "
                "ΔW starts empty and W′ = W.")
    if frame.kind == "term":
        t = frame.term + 1
        return (f"Term {t} of {r}: column {t} of {names.up} times row {t} of {names.down} adds a rank-1 layer. "
                f"The sum so far has rank ≤ {t}.")
    if frame.kind == "scale":
        return f"Scale by α/r = {alpha:g}/{r} = {e.scale:.4g}: ΔW = (α/r)·{names.product}."
    if frame.kind == "merged":
        return f"Merged: {names.merged}. One matrix of the original size; {names.up} and {names.down} are no longer needed."
    return f"Merging: W′ = W + {frame.share:.0%} of ΔW (shown in steps; the real merge is one addition)."


def phase_names(s: Settings) -> list[str]:
    """Short names of the frames, for the 'open at step' control."""
    return [frame_name(frame) for frame in merge_frames(merge_example(s))]


def comparison_rows(results: list[OutputComparison]) -> dict[str, list[str]]:
    """The precision table as columns of text; a precision whose numbers overflowed says so instead of nan."""

    def cell(result: OutputComparison, value: float, spec: str) -> str:
        return f"overflows {result.dtype} (max {p.largest_text(result.dtype)})" if overflowed(result) else format(value, spec)

    return {
        "precision": [r.dtype for r in results],
        "max |y_separate − y_merged|": [cell(r, r.separate_vs_merged, ".3g") for r in results],
        "separate vs exact": [cell(r, r.separate_error, ".3g") for r in results],
        "merged vs exact": [cell(r, r.merged_error, ".3g") for r in results],
        "relative to max |y|": [cell(r, r.separate_vs_merged / r.output_scale, ".2g") for r in results],
    }

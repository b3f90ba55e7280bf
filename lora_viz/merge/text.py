"""The merge page's explanations, with the example's numbers filled in (the page only lays them out)."""

from __future__ import annotations

from ..notation import labels
from ..numbers import precision as p
from ..numbers.counts import scaling_text
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
    scale = scaling_text(s.variant)
    separate = f"W·x + ({scale})·{names.up}·({names.down}·x)"
    if s.variant == "dora":
        separate = f"m/‖W + ΔW‖ ⊙ ({separate}), row by row"
    return (
        f"For a random input x: y_separate = {separate} and y_merged = W′·x, "
        f"on a {size.d}×{size.k} example at rank {size.r}. Inputs are stored in each precision, products accumulate in fp32."
        f"\n\n{markdown_table(comparison_rows(results))}\n\n"
        + caption(precision_caption(s, results))
        + f"\n\nServing merged also costs nothing extra; serving the adapter separately adds its two thin products:\n\n{markdown_table(flops)}"
        + (DORA_SERVING if s.variant == "dora" else "")
    )


DORA_SERVING = (
    "\n\nDoRA served separately costs more than its thin products: PEFT rebuilds the dense ΔW and the row lengths of "
    "W + ΔW in every forward. PEFT's documentation measures +139% time on Llama-3.1-8B inference unmerged and uncached "
    "(+17% time and +41% memory with its cache), and recommends merging."
)


def spectra_caption(s: Settings) -> str:
    """What the singular-value chart shows: ΔW's rank, the rounding floor, and DoRA's W′ − W at full rank."""
    r = merge_example(s).size.r
    text = (f"ΔW has at most r = {r} non-zero singular values; the rest sit at machine zero (about 1e-15, drawn no lower "
            "than 1e-17). Storing W′ in 16 bits adds a rounding floor to W′ − W, so it is no longer exactly rank r.")
    if s.variant == "dora":
        text += (" DoRA's W′ − W is not low rank at all: dividing each row of W + ΔW by its length and scaling it by mᵢ "
                 "changes every row of W, so all its singular values stand well above the floor.")
    return text


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


def merge_title(s: Settings) -> str:
    """The page's title: the merge's formula (DoRA's with its magnitude and row lengths)."""
    names = labels(s.notation)
    if s.variant == "dora":
        return f"Merge: W′ = m ⊙ (W + {names.product}) / ‖W + {names.product}‖"
    return f"Merge: {names.merged}"


VARIANT_NOTES = {
    "rslora": "rsLoRA scales ΔW by α/√r instead of α/r; the merge is the same addition.",
    "dora": ("DoRA merges in two more steps: each row of W + ΔW is divided by its length, then multiplied by its trained "
             "magnitude mᵢ (here W's row lengths scaled by a seeded factor of about e^±0.25, as if trained; drawn in reds "
             "on a scale of its own from 0)."),
    "pissa": ("PiSSA merges as LoRA does, onto its residual base W − (α/r)·B₀A₀ (the top-r singular part taken out at the "
              "start); the animation draws the plain merge onto W."),
}


def example_note(s: Settings) -> str:
    """Which example the animation shows and whether it was scaled down from the settings; what the variant changes."""
    size = example_size(s.d, s.k, s.r)
    shown = f"{size.d}×{size.k} at rank {size.r}"
    variant = " " + VARIANT_NOTES[s.variant] if s.variant in VARIANT_NOTES else ""
    if not size.scaled_down:
        return f"The animation uses the current settings, {shown}: every cell is one weight.{variant}"
    return (
        f"Scaled down so every cell is visible: the animation shows {shown} "
        f"(the settings are {s.d:,}×{s.k:,} at rank {s.r:,}); the steps are the same at any size.{variant}"
    )


def frame_name(frame: MergeFrame, e: Example) -> str:
    """A frame's short name, for the 'open at step' control and the animation: start, 1, 2, …, α/r, 25%, …, merged
    (DoRA's: …, 100%, ÷ length, merged)."""
    names = {"start": "start", "term": str((frame.term or 0) + 1), "scale": scaling_text(e.variant), "normalised": "÷ length",
             "merged": "merged"}
    return names.get(frame.kind, f"{frame.share:.0%}")


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
    if frame.kind == "scale" and e.variant == "rslora":
        return f"Scale by α/√r = {alpha:g}/√{r} = {e.scale:.4g} (rsLoRA): ΔW = (α/√r)·{names.product}."
    if frame.kind == "scale":
        return f"Scale by α/r = {alpha:g}/{r} = {e.scale:.4g}: ΔW = (α/r)·{names.product}."
    if frame.kind == "normalised":
        return ("DoRA: each row of W + ΔW divided by its length ‖(W + ΔW)ᵢ‖. Every row now has length 1: "
                "only its direction is left.")
    if frame.kind == "merged" and e.magnitude is not None:
        return ("Merged: each row times its magnitude mᵢ (trained, one per row), W′ = m ⊙ (W + ΔW)/‖W + ΔW‖. "
                f"One matrix of the original size; {names.up}, {names.down} and m are no longer needed.")
    if frame.kind == "merged":
        return f"Merged: {names.merged}. One matrix of the original size; {names.up} and {names.down} are no longer needed."
    if e.magnitude is not None and frame.share == 1:
        return "W + ΔW: where LoRA's merge ends. DoRA goes on, row by row."
    return f"Merging: W′ = W + {frame.share:.0%} of ΔW (shown in steps; the real merge is one addition)."


def phase_names(s: Settings) -> list[str]:
    """Short names of the frames, for the 'open at step' control."""
    example = merge_example(s)
    return [frame_name(frame, example) for frame in merge_frames(example)]


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

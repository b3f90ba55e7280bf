"""Merge: W′ = W + (α/r)·A×B built step by step, merged vs separate outputs, rank, and two mistakes."""

import streamlit as st

from lora_viz import alt_text, ui
from lora_viz.merge import (
    comparison_rows,
    example_note,
    initialisation_gap,
    merge_example,
    merge_twice,
    phase_names,
    token_cost,
    two_adapters,
)
from lora_viz.notation import labels

settings = ui.page_settings("Merge")
names = labels(settings.notation)

st.title(f"Merge: {names.merged}")
st.caption(example_note(settings) + " " + names.note)
if not settings.trained:
    ui.trained_switch(
        settings,
        f"This adapter is as initialised: {names.up} is all zeros, so ΔW = 0 and W′ = W — the animation adds nothing. "
        "That is the point of LoRA's start: training begins from the pretrained model exactly."
    )

ui.step_control(settings, phase_names(settings))
ui.figure(
    "merge_animation",
    settings,
    alt=alt_text.merge_animation_alt(settings),
)
st.caption("Press ▶ Play or drag the step slider under the figure; playback runs in your browser. Hover a cell of ΔW or W′ to see the products that make it.")

st.header("Same answer, no extra compute")
size, results = ui.cached("compare_outputs", settings)
cost = token_cost(settings.d, settings.k, settings.r)
left, right = st.columns([3, 2], gap="large")
with left:
    st.markdown(
        f"For a random input x: y_separate = W·x + (α/r)·{names.up}·({names.down}·x) and y_merged = W′·x, "
        f"on a {size.d}×{size.k} example at rank {size.r}. Inputs are stored in each precision, products accumulate in fp32."
    )
    ui.table(comparison_rows(results))
    st.caption("In fp32 the two agree to rounding; in fp16 and bf16 merging is not bit-exact — the table says by how much.")
with right:
    st.metric("FLOPs per token, merged", f"{cost.merged:,}")
    st.caption("W′·x: 2·d·k")
    st.metric("FLOPs per token, separate", f"{cost.separate:,}", delta=f"+{cost.extra_percent:.3g}%", delta_color="inverse")
    st.caption(f"W·x + {names.up}·({names.down}·x): 2·d·k + 2·r·(d + k), plus d additions of the two paths")

st.header("Rank made visible")
ui.figure("spectra_figure", settings, alt=alt_text.spectra_alt(settings))
example = merge_example(settings)
st.caption(
    f"ΔW has at most r = {example.size.r} non-zero singular values; the rest sit at machine zero (about 1e-15, "
    "drawn no lower than 1e-17). Storing W′ in 16 bits adds a rounding floor to W′ − W, so it is no longer exactly rank r."
)

st.header("Initialisation")
st.markdown(
    f"With {names.up} = 0 (the paper's start), ΔW = 0 and the merged matrix equals W: max |W′ − W| = "
    f"**{initialisation_gap(settings):g}** exactly. "
    + ("Switch off “Trained adapter” to see the animation add nothing." if settings.trained else "")
)

st.header("Two common mistakes")
twice = merge_twice(example, settings.seed)
st.subheader("Merging twice")
st.markdown(
    f"Merging the same adapter again gives W + 2·ΔW. Here that moves weights by up to **{twice.weight_error:.3g}** and "
    f"changes the output by **{twice.output_change:.1%}** of its size. Libraries keep a *merged* flag on each layer "
    "(PEFT warns and skips an adapter that is already merged) so that a second merge, or an unmerge that was never needed, "
    "cannot happen by accident."
)
st.subheader("Adding two adapters' factors")
pair = two_adapters(settings)
st.markdown(
    f"Two adapters on the same W: adding the products is right; adding the factors first multiplies out to the right "
    f"answer plus cross terms, here **{pair.cross_share:.0%}** of the right answer's size (Frobenius norm). "
    f"Putting the factors side by side instead — [{names.up}₁ {names.up}₂] times [{names.down}₁; {names.down}₂], rank 2r — "
    f"gives exactly the sum (largest difference {abs(pair.concatenated - pair.correct).max():.1g})."
)
ui.figure("two_adapters_figure", settings, alt=alt_text.two_adapters_alt(settings))

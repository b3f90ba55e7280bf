"""Merge: W′ = W + (α/r)·A×B built step by step, merged vs separate outputs, rank, and two mistakes."""

import streamlit as st

from lora_viz import alt_text, ui
from lora_viz.merge import comparison_rows, example_note, merge_example, phase_names, token_cost
from lora_viz.merge_text import initialisation_text, merging_twice_text, two_adapters_text
from lora_viz.notation import labels
from lora_viz.summary import markdown_table

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
        f"on a {size.d}×{size.k} example at rank {size.r}. Inputs are stored in each precision, products accumulate in fp32.\n\n"
        + markdown_table(comparison_rows(results))
    )
    st.caption("In fp32 the two agree to rounding; in fp16 and bf16 merging is not bit-exact — the table says by how much.")
with right:
    st.metric("FLOPs per token, merged", f"{cost.merged:,}", delta="W′·x: 2·d·k", delta_color="off", delta_arrow="off")
    st.metric("FLOPs per token, separate", f"{cost.separate:,}", delta=f"+{cost.extra_percent:.3g}%", delta_color="inverse",
              delta_description=f"W·x + {names.up}·({names.down}·x): 2·d·k + 2·r·(d + k), plus d additions of the two paths")

st.header("Rank made visible")
ui.figure("spectra_figure", settings, alt=alt_text.spectra_alt(settings))
example = merge_example(settings)
st.caption(
    f"ΔW has at most r = {example.size.r} non-zero singular values; the rest sit at machine zero (about 1e-15, "
    "drawn no lower than 1e-17). Storing W′ in 16 bits adds a rounding floor to W′ − W, so it is no longer exactly rank r."
)

st.markdown("## Initialisation\n\n" + initialisation_text(settings))
st.markdown("## Two common mistakes\n\n### Merging twice\n\n" + merging_twice_text(settings))
st.markdown("### Adding two adapters' factors\n\n" + two_adapters_text(settings))
ui.figure("two_adapters_figure", settings, alt=alt_text.two_adapters_alt(settings))

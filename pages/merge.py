"""Merge: W′ = W + (α/r)·A×B built step by step, merged vs separate outputs, rank, and two mistakes."""

import streamlit as st

from lora_viz import ui
from lora_viz.merge import alt, figures
from lora_viz.merge.view import compare_outputs
from lora_viz.merge.text import (
    PLAY_HINT,
    example_note,
    initialisation_text,
    merge_title,
    merging_twice_text,
    phase_names,
    same_answer_text,
    spectra_caption,
    two_adapters_text,
)
from lora_viz.notation import labels
from lora_viz.render.markdown import caption

with ui.page("Merge") as settings:
    names = labels(settings.notation)

    # Headings and captions share elements with the text next to them: every element costs a little on each move.
    # On a projector (presentation mode) the animation comes first and its note after it, so that it fits the screen.
    note = caption(f"{example_note(settings)} {names.note} {PLAY_HINT}")
    st.markdown(f"# {merge_title(settings)}" + ("" if settings.present else "\n\n" + note))
    if not settings.trained:
        ui.trained_switch(
            settings,
            f"This adapter is as initialised: {names.up} is all zeros, so ΔW = 0 and W′ = W — the animation adds nothing. "
            "That is the point of LoRA's start: training begins from the pretrained model exactly."
        )

    ui.step_control(settings, phase_names(settings))
    ui.figure(figures.merge_animation, settings, alt=alt.merge_animation_alt(settings), main=True)
    if settings.present:
        st.markdown(note)

    size, results = ui.cached(compare_outputs, settings)
    st.markdown("## Same answer, no extra compute\n\n" + same_answer_text(settings, size, results) + "\n\n## Rank made visible")
    ui.figure(figures.spectra_figure, settings, alt=alt.spectra_alt(settings))
    st.markdown(
        caption(spectra_caption(settings))
        + f"\n\n## Initialisation\n\n{initialisation_text(settings)}\n\n"
        f"## Two common mistakes\n\n### Merging twice\n\n{merging_twice_text(settings)}\n\n"
        f"### Adding two adapters' factors\n\n{two_adapters_text(settings)}"
    )
    ui.figure(figures.two_adapters_figure, settings, alt=alt.two_adapters_alt(settings))

"""Why low rank works: train a LoRA and full fine-tuning live, and compare with the best any rank can do."""

import streamlit as st

from lora_viz import ui
from lora_viz.notation import labels
from lora_viz.render.markdown import caption
from lora_viz.training import alt, figures
from lora_viz.training.task import make_task, task_size
from lora_viz.training.text import (
    budget_text,
    divergence_text,
    intro_text,
    spectrum_caption,
    sweep_caption,
    training_summary,
    variants_pending,
    variants_text,
)
from lora_viz.training.view import training_spec

with ui.page("Why low rank works") as settings:
    names = labels(settings.notation)
    d, k = task_size(settings.d, settings.k)

    # The title, the introduction and its note in one element: every element costs a little on each move.
    scaled = (d, k) != (settings.d, settings.k)
    st.markdown(
        "# Why low rank works\n\n" + intro_text(make_task(training_spec(settings)), names.product)
        + ("\n\n" + caption(f"Scaled down to {d}×{k} so that the whole rank sweep trains in seconds (the settings say "
                              f"{settings.d:,}×{settings.k:,}).") if scaled else "")
    )
    ui.training_controls(settings)
    result = ui.train(settings)  # waits for the training (drawing its progress): the figures below then find it kept
    if divergence := divergence_text(result):
        st.warning(divergence)
    if budget := budget_text(result):
        st.warning(budget)

    st.subheader("Training")
    ui.figure(figures.loss_figure, settings, alt=alt.loss_alt(result))
    st.markdown(training_summary(result) + "\n\n### The spectrum")
    ui.figure(figures.spectrum_figure, settings, alt=alt.training_spectrum_alt(result))
    st.markdown(caption(spectrum_caption(result)) + "\n\n### LoRA, rsLoRA and PiSSA at the same rank")
    if ui.variants_ready(settings):
        variants = ui.train_variants(settings)
        ui.figure(figures.variants_figure, settings, alt=alt.variants_alt(result, variants))
        st.markdown(variants_text(result, variants) + "\n\n### Every rank")
    else:  # a rank move: the run answers at once, and the two trainings follow in a run of their own
        pending = variants_pending(result)
        ui.figure(figures.variants_figure, settings, alt=pending, later=pending, stand_in=figures.pending_variants_figure)
        st.markdown("### Every rank")
    ui.figure(figures.sweep_figure, settings, alt=alt.sweep_alt(result), name="rank-sweep")  # its download: lora-viz-rank-sweep
    st.caption(sweep_caption(result))

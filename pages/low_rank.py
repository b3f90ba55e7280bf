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
    sweep_caption,
    training_summary,
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
    st.markdown(caption("LoRA learns the top r singular directions of the needed change; what lies beyond r is the loss it must keep.")
                + "\n\n### Every rank")
    ui.figure(figures.sweep_figure, settings, alt=alt.sweep_alt(result), name="rank-sweep")  # its download: lora-viz-rank-sweep
    st.caption(sweep_caption(result))

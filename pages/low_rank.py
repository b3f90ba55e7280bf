"""Why low rank works: train a LoRA and full fine-tuning live, and compare with the best any rank can do."""

from dataclasses import replace

import streamlit as st

from lora_viz import ui
from lora_viz.keys import key_of
from lora_viz.notation import labels
from lora_viz.render.markdown import caption
from lora_viz.training import alt, figures
from lora_viz.training.task import make_task, task_size, training_spec
from lora_viz.training.text import (
    budget_text,
    divergence_text,
    intro_text,
    sweep_caption,
    training_summary,
)

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
    result = ui.train(settings)
    if divergence := divergence_text(result):
        st.warning(divergence)
    if budget := budget_text(result):
        st.warning(budget)

    # What the figures depend on: the training, and for two of them the rank (cache keys, and settings they show).
    trained_on = key_of(training_spec, settings)
    shown = (result.spec, result.r)
    at_rank = replace(trained_on, r=result.r)

    st.subheader("Training")
    ui.chart(("loss", shown), lambda: figures.loss_figure(result), settings, at_rank,
             alt=alt.loss_alt(result), name="loss")
    st.markdown(training_summary(result) + "\n\n### The spectrum")
    ui.chart(("spectrum", shown, names.product), lambda: figures.spectrum_figure(result, names.product), settings, at_rank,
             alt=alt.training_spectrum_alt(result), name="spectrum")
    st.markdown(caption("LoRA learns the top r singular directions of the needed change; what lies beyond r is the loss it must keep.")
                + "\n\n### Every rank")
    ui.chart(("sweep", result.spec), lambda: figures.sweep_figure(result), settings, trained_on,
             alt=alt.sweep_alt(result), name="rank-sweep")
    st.caption(sweep_caption(result))

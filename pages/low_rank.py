"""Why low rank works: train a LoRA and full fine-tuning live, and compare with the best any rank can do."""

from dataclasses import replace

import streamlit as st

from lora_viz import alt_text, training_figures, ui
from lora_viz.notation import labels
from lora_viz.summary import caption
from lora_viz.training import task_size, training_settings, training_summary

settings = ui.page_settings("Why low rank works")
names = labels(settings.notation)
d, k = task_size(settings.d, settings.k)

# The title, the introduction and its note in one element: every element costs a little on each move.
scaled = (d, k) != (settings.d, settings.k)
st.markdown(
    f"# Why low rank works\n\n"
    f"A frozen W ({d}×{k}) must change by ΔW* to fit new data. Full fine-tuning may learn any ΔW; LoRA only "
    f"ΔW = (α/r)·{names.product}, of rank at most r. The loss is the share of ΔW* not learned (it starts at 1). "
    "Inputs have identity covariance, so the best rank-r answer is known exactly: the energy of ΔW* beyond its "
    "r-th singular value (Eckart–Young)."
    + ("\n\n" + caption(f"Scaled down to {d}×{k} so that training takes about a second (the settings say "
                          f"{settings.d:,}×{settings.k:,}).") if scaled else "")
)
ui.training_controls(settings)
result = ui.train(settings)

# What the figures depend on: the training, and for two of them the rank (cache keys, and settings they show).
trained_on = training_settings(settings)
shown = (result.spec, result.r)
at_rank = replace(trained_on, r=result.r)

st.subheader("Training")
ui.chart(("loss", shown), lambda: training_figures.loss_figure(result), settings, at_rank,
         alt=alt_text.loss_alt(result), name="loss")
st.markdown(training_summary(result) + "\n\n### The spectrum")
ui.chart(("spectrum", shown), lambda: training_figures.spectrum_figure(result), settings, at_rank,
         alt=alt_text.training_spectrum_alt(result), name="spectrum")
st.markdown(caption("LoRA learns the top r singular directions of the needed change; what lies beyond r is the loss it must keep.")
            + "\n\n### Every rank")
ui.chart(("sweep", result.spec), lambda: training_figures.sweep_figure(result), settings, trained_on,
         alt=alt_text.sweep_alt(result), name="rank-sweep")
st.caption(
    "Where the dots meet the dotted line, training found the best update of that rank. On an exactly rank-s change "
    "the loss drops to zero at r = s; on full-rank noise every extra rank helps a little and none is enough."
)

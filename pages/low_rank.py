"""Why low rank works: train a LoRA and full fine-tuning live, and compare with the best any rank can do."""

import streamlit as st

from lora_viz import alt_text, training_figures, ui
from lora_viz.notation import labels
from lora_viz.training import task_size, training_summary

settings = ui.page_settings("Why low rank works")
names = labels(settings.notation)
d, k = task_size(settings.d, settings.k)

st.title("Why low rank works")
st.markdown(
    f"A frozen W ({d}×{k}) must change by ΔW* to fit new data. Full fine-tuning may learn any ΔW; LoRA only "
    f"ΔW = (α/r)·{names.product}, of rank at most r. The loss is the share of ΔW* not learned (it starts at 1). "
    "Inputs have identity covariance, so the best rank-r answer is known exactly: the energy of ΔW* beyond its "
    "r-th singular value (Eckart–Young)."
)
if (d, k) != (settings.d, settings.k):
    st.caption(f"Scaled down to {d}×{k} so that training takes about a second (the settings say {settings.d:,}×{settings.k:,}).")
ui.training_controls(settings)
result = ui.train(settings)

shown = (result.spec, result.r)  # what the loss and spectrum figures depend on: their cache key

st.subheader("Training")
ui.cached_chart(("loss", shown), lambda: training_figures.loss_figure(result), settings, name="loss",
                alt=alt_text.loss_alt(result))
st.markdown(training_summary(result))

st.subheader("The spectrum")
ui.cached_chart(("spectrum", shown), lambda: training_figures.spectrum_figure(result), settings, name="spectrum",
                alt=alt_text.training_spectrum_alt(result))
st.caption("LoRA learns the top r singular directions of the needed change; what lies beyond r is the loss it must keep.")

st.subheader("Every rank")
ui.cached_chart(("sweep", result.spec), lambda: training_figures.sweep_figure(result), settings, name="rank-sweep",
                alt=alt_text.sweep_alt(result))
st.caption(
    "Where the dots meet the dotted line, training found the best update of that rank. On an exactly rank-s change "
    "the loss drops to zero at r = s; on full-rank noise every extra rank helps a little and none is enough."
)

"""Matrices to scale: W, A and B at one scale, with live parameter counts and memory."""

import streamlit as st

from lora_viz import alt_text, ui
from lora_viz.geometry import scale_layout
from lora_viz.notation import labels
from lora_viz.summary import count_lines, delta_at_start, delta_pending, memory_notes, memory_rows, scale_caption, seed_numbers

settings = ui.page_settings("Matrices to scale")

st.title("Matrices to scale")
caption = scale_caption(settings)
st.caption(caption)
st.caption(labels(settings.notation).note)

drawing, numbers = st.columns([3, 2], gap="large")
with drawing:
    ui.figure("scale_figure", settings, alt=caption)
    if scale_layout(settings.d, settings.k, settings.r).needs_magnifier:
        ui.figure("magnifier_figure", settings, alt=alt_text.magnifier_alt(settings))
    if settings.trained:
        ui.figure("delta_figure", settings, alt=alt_text.delta_alt(settings), later=delta_pending(settings))
    else:
        st.info(delta_at_start(settings))
with numbers:
    st.subheader("Parameters")
    ui.metrics(seed_numbers(settings), columns=1)
    ui.bullets(count_lines(settings))
    st.subheader("Memory")
    ui.memory_table(memory_rows(settings))
    st.caption("\n\n".join(memory_notes(settings)))

"""Matrices to scale: W, A and B at one scale, with live parameter counts and memory."""

import streamlit as st

from lora_viz import ui
from lora_viz.matrix import alt, figures
from lora_viz.matrix.text import (
    count_lines,
    delta_at_start,
    delta_pending,
    headline_columns,
    memory_columns,
    memory_notes,
    memory_rows,
    scale_caption,
    seed_numbers,
)
from lora_viz.notation import labels
from lora_viz.render.markdown import bullet_list, caption, markdown_table

with ui.page("Matrices to scale") as settings:

    # The title and its caption in one element: every element costs a little on each move.
    st.markdown(f"# Matrices to scale\n\n{caption(scale_caption(settings))}\n\n{caption(labels(settings.notation).note)}")

    drawing, numbers = st.columns([3, 2], gap="large")
    with numbers:
        # One element for both headings, both tables, the list and the notes: every element costs a little on each move.
        notes = "\n\n".join(caption(note) for note in memory_notes(settings))
        st.markdown(
            "### Parameters\n\n" + markdown_table(headline_columns(seed_numbers(settings))) + "\n\n" + bullet_list(count_lines(settings))
            + "\n\n### Memory\n\n" + markdown_table(memory_columns(memory_rows(settings))) + "\n\n" + notes
        )
    # The drawing column is filled last: ΔW's stand-in asks for a new run, which must not cut this one short.
    with drawing:
        ui.figure(figures.drawing_figure, settings, alt=alt.drawing_alt(settings), main=True)
        if settings.variant == "rslora":
            ui.figure(figures.scaling_figure, settings, alt=alt.scaling_alt(settings))
        if settings.trained:
            ui.figure(figures.delta_figure, settings, alt=alt.delta_alt(settings), later=delta_pending(settings),
                      stand_in=figures.pending_delta_figure)
        else:
            st.info(delta_at_start(settings))

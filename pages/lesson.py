"""Lesson: the seed question step by step — guess each number, then see it, with the formula."""

import streamlit as st

from lora_viz import ui

with ui.page("Lesson") as settings:

    if not settings.present:  # on a projector the step itself fills the screen
        st.title("Lesson: what does LoRA train, and what does it serve?")
        teachers = (" Teachers: “Share this view” in the sidebar makes a link that opens here, at this step, with the "
                    "controls you choose hidden.") if ui.shown(settings, "share") else ""
        st.caption(f"Every number comes from the current settings: W is {settings.d:,}×{settings.k:,} and r = {settings.r:,}.{teachers}")
    ui.lesson_step(settings)

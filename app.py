"""Home: what LoRA is, the four numbers that answer the seed question, and links to every page."""

import streamlit as st

from lora_viz import ui
from lora_viz.matrix.text import count_lines, seed_numbers
from lora_viz.navigation import PAGES
from lora_viz.notation import labels
from lora_viz.render.markdown import bullet_list, caption

with ui.page("Home") as settings:
    names = labels(settings.notation)

    st.title("How LoRA saves memory")
    st.markdown(
        f"LoRA (low-rank adaptation) **freezes** a weight matrix W of d×k = {settings.d:,}×{settings.k:,} and trains a small "
        f"update instead: two thin matrices {names.up} ({settings.d:,}×{settings.r:,}) and {names.down} "
        f"({settings.r:,}×{settings.k:,}), so that {names.merged}. Only the thin ones learn.\n\n"
        f"{caption(names.note)}\n\n"
        f"### Parameters for one {settings.d:,}×{settings.k:,} matrix at rank r = {settings.r:,}"
    )
    ui.metrics(seed_numbers(settings))
    st.markdown(bullet_list(count_lines(settings)) + "\n\n### Explore")
    for page in PAGES[1:]:
        ui.page_link(page.script, settings)

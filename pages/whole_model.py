"""Whole model: presets, target modules, counts equal to PEFT's, and memory for full fine-tuning, LoRA and QLoRA."""

import streamlit as st

from lora_viz import ui
from lora_viz.model import alt, figures
from lora_viz.model.text import (
    METHOD_LABELS,
    PEAK_ALIVE,
    activation_note,
    block_caption,
    card_table,
    checkpointing_alternative,
    dtype_note,
    experts_lines,
    fit_headline,
    fit_note,
    memory_parts,
    module_table,
    peak_line,
    peak_note,
    peak_rows,
    peft_printout,
    serving_lines,
    trainable_formula,
    training_headline,
    variant_lines,
    zero_note,
    zero_table,
    zero_verdict,
)
from lora_viz.model.view import model_view, qlora_paper_example, shows_qlora_paper
from lora_viz.render.markdown import bullet_list, caption, markdown_table

with ui.page("Whole model") as settings:
    view = model_view(settings)

    # The title and its caption in one element: every element costs a little on each move.
    st.markdown(
        f"# Whole model: {view.spec.label}\n\n"
        + caption("Every linear layer has its own shape here, so the sidebar's d and k are not used; r, dtype and notation "
                  f"are. Configuration: {view.spec.source}.")
    )
    if not shows_qlora_paper(settings):
        ui.open_view("Try the QLoRA paper's headline: LLaMA-65B fine-tuned on one 48 GB card →", qlora_paper_example(settings),
                     key="_open_qlora_paper")
    ui.whole_model_controls(settings)

    if settings.method == "full":
        st.subheader("Parameters")
        ui.metrics([ui.Headline("Full fine-tuning trains", view.counts.base, f"every weight of {view.spec.label}")], width=330)
    else:
        st.subheader("Parameters, as PEFT counts them")
        ui.metrics(
            [
                ui.Headline(f"{METHOD_LABELS[settings.method].split(' ')[0]} trains", view.counts.trainable,
                            trainable_formula(view.spec, view.counts, settings.r, settings.variant)),
                ui.Headline("Frozen base", view.counts.base, f"all {view.spec.label} weights"),
                ui.Headline("All (base + adapters)", view.counts.all, "what PEFT calls all params"),
            ],
            width=250,  # three short formulas: one row beside the sidebar
        )
        # Inline code, not a code block: a code block makes the page load Streamlit's 1.5 MB syntax highlighter.
        st.markdown(f"`{peft_printout(view.counts)}`")
    if lines := variant_lines(settings, view):
        st.markdown("\n\n".join(lines))
    if lines := experts_lines(settings, view):
        st.markdown("#### A mixture of experts: total and active parameters\n\n" + "\n\n".join(lines))

    st.markdown(
        "### One block's matrices, to scale\n\n"
        + caption(block_caption(view.spec))
    )
    ui.figure(figures.block_figure, settings, alt=alt.block_alt(settings))

    st.markdown("### Training memory\n\n" + caption(
        "Each bar is what is alive at that method's peak in one training step (the table below lists every moment)."))
    chosen = view.training[settings.method]
    # The chart, then its table beneath at full width: side by side, the table's numbers wrapped or scrolled.
    ui.figure(figures.memory_figure, settings, alt=alt.memory_alt(settings))
    st.markdown(
        training_headline(settings) + "\n\n" + markdown_table(memory_parts(chosen)) + "\n\n" + peak_line(chosen)
        + "\n\n" + markdown_table(peak_rows(chosen), text_columns=(PEAK_ALIVE,))
    )
    st.caption(
        dtype_note(settings, view) + "\n\n"
        "Weights, gradients and optimizer states are exact: the bytes PyTorch allocates (AdamW keeps two states like each "
        "trained tensor plus a 4-byte step). " + activation_note(settings, view) + " " + peak_note(settings)
    )

    st.markdown(
        f"### Does it fit one GPU?\n\n**{fit_headline(settings, view)}**\n\n{checkpointing_alternative(chosen)}\n\n"
        + markdown_table(card_table(chosen)) + "\n\n" + caption(fit_note(settings, view))
        + "\n\n### Across several GPUs with ZeRO"
    )
    ui.zero_controls(settings)
    st.markdown(f"**{zero_verdict(settings, view)}**\n\n{markdown_table(zero_table(settings, view))}\n\n"
                + caption(zero_note(settings, view)))

    st.markdown(
        f"### Serving\n\n{bullet_list(serving_lines(settings, view))}\n\n"
        f"### Every targetable layer\n\n{markdown_table(module_table(view.counts))}"
    )

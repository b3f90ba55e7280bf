"""One step of the guided lesson: its text, a guess before the answer, feedback, and the way on."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from ..lesson.steps import Step, answer_text, known_quantities, lesson_steps
from ..matrix.alt import drawing_alt
from ..merge.alt import merge_animation_alt
from ..lesson.feedback import MAX_GUESS_CHARS, feedback
from ..settings import Settings, to_query
from ..navigation import PAGES
from .control import control
from .display import figure

_VERDICT_BOX = {"exact": st.success, "close": st.info, "off": st.warning, "unreadable": st.warning, "too long": st.warning}


def _go(step: int) -> None:
    st.session_state["lesson"] = step


def _step_figure(step: Step, s: Settings) -> None:
    """The figure the step talks about: the to-scale drawing, or the merge (of a trained adapter, so it adds something)."""
    if step.figure == "drawing":
        figure("drawing_figure", s, alt=drawing_alt(s))
    elif step.figure == "merge":
        trained = replace(s, trained=True)
        figure("merge_animation", s, alt=merge_animation_alt(trained), of=trained)


def lesson_step(s: Settings) -> None:
    """The current step; a question's answer stays hidden until a guess is checked."""
    steps = lesson_steps(s)
    index = s.lesson
    step = steps[index]
    control(s, st, "select_slider", "lesson", options=list(range(len(steps))), format_func=lambda i: f"{i + 1}. {steps[i].title}")
    st.subheader(f"Step {index + 1} of {len(steps)}: {step.title}")
    st.markdown(step.body)
    _step_figure(step, s)
    question = step.question
    if question is not None:
        guessed = st.session_state.get(f"_guess_{index}")
        with st.form(f"_guess_form_{index}", clear_on_submit=False, enter_to_submit=True):
            st.text_input(f"{question.prompt} Your guess ({question.unit}):", key=f"_guess_input_{index}",
                          max_chars=MAX_GUESS_CHARS, placeholder="a number (digits, k, M or %)")
            if st.form_submit_button("Check my guess"):
                guessed = st.session_state[f"_guess_input_{index}"]
                st.session_state[f"_guess_{index}"] = guessed
        if guessed:
            result = feedback(guessed, question, known_quantities(s))
            _VERDICT_BOX[result.verdict](result.message)
            if result.verdict not in ("unreadable", "too long"):
                st.markdown(f"**Answer: {answer_text(question)}** — {question.formula}.")
        else:
            st.caption("The answer appears once you have checked a guess.")
    page = next(p for p in PAGES if p.script == step.page)
    st.page_link(page.script, label=f"See it on “{page.label}”", query_params=to_query(s))
    back, forward = st.columns(2)
    back.button("← Previous", on_click=_go, args=(index - 1,), disabled=index == 0, use_container_width=True)
    forward.button("Next →", on_click=_go, args=(index + 1,), disabled=index == len(steps) - 1, use_container_width=True, type="primary")

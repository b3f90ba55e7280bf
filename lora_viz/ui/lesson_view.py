"""One step of the guided lesson: its text, a guess before the answer, feedback, and the way on."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from ..lesson.alt import step_alt
from ..lesson.figures import answered_step_figure, step_figure
from ..lesson.text import answer_text, known_quantities, lesson_steps
from ..outline import OUTLINE
from ..lesson.feedback import MAX_GUESS_CHARS, feedback
from ..settings import Settings, to_query
from ..navigation import PAGES
from .control import control
from .display import figure

_VERDICT_BOX = {"exact": st.success, "close": st.info, "off": st.warning, "unreadable": st.warning, "too long": st.warning}


def _go(step: int) -> None:
    st.session_state["lesson"] = step


TRIES = 2  # readable guesses before a wrong answer is revealed: a near miss or a named count gets a second go


def _step_picture(s: Settings, revealed: bool) -> None:
    """The step's picture (lesson/figures.py), its question's answer hidden until `revealed`.

    The merge is drawn for a trained adapter, so that merging adds something."""
    shown = replace(s, trained=True) if OUTLINE[s.lesson].figure == "merge" else s
    build = answered_step_figure if revealed else step_figure
    figure(build, s, alt=step_alt(shown, revealed), of=shown, main=True, name="lesson")


def lesson_step(s: Settings) -> None:
    """The current step; a question's answer stays hidden until a guess is right, or until a second readable guess."""
    steps = lesson_steps(s)
    index = s.lesson
    step = steps[index]
    # On a projector (presentation mode) the step fits one screen: the way on beside the step control, then the
    # step's words and guess beside its picture.
    top, back, forward = st.columns([5, 1, 1], vertical_alignment="bottom") if s.present else (st, None, None)
    control(s, top, "lesson", options=list(range(len(steps))), format_func=lambda i: f"{i + 1}. {steps[i].title}")
    heading = f"Step {index + 1} of {len(steps)}: {step.title}"
    st.title(heading) if s.present else st.subheader(heading)  # on a projector the step is the page's title
    words, picture = st.columns([2, 3], gap="large") if s.present else (st.container(), st.container())
    words.markdown(step.body)
    question = step.question
    if question is None:
        with picture:
            _step_picture(s, revealed=True)
    else:
        guessed, tries_key = st.session_state.get(f"_guess_{index}"), f"_tries_{index}"
        result = feedback(guessed, question, known_quantities(s)) if guessed else None
        revealed = result is not None and (result.verdict == "exact" or st.session_state.get(tries_key, 0) >= TRIES)
        with picture:
            _step_picture(s, revealed)
        with words, st.form(f"_guess_form_{index}", clear_on_submit=False, enter_to_submit=True):
            st.text_input(f"{question.prompt} Your guess ({question.unit}):", key=f"_guess_input_{index}",
                          max_chars=MAX_GUESS_CHARS, placeholder="a number (digits, k, M or %)")
            checked = st.form_submit_button("Check my guess")
        if checked:
            guessed = st.session_state[f"_guess_input_{index}"]
            st.session_state[f"_guess_{index}"] = guessed
            result = feedback(guessed, question, known_quantities(s)) if guessed else None
            if result is not None and result.verdict in ("close", "off"):
                st.session_state[tries_key] = st.session_state.get(tries_key, 0) + 1
            if result is not None and (result.verdict == "exact" or st.session_state.get(tries_key, 0) >= TRIES) and not revealed:
                st.rerun()  # the picture above shows the answer now too
        with words:
            if result is not None:
                _VERDICT_BOX[result.verdict](result.message)
                if result.verdict == "exact" or st.session_state.get(tries_key, 0) >= TRIES:
                    st.markdown(f"**Answer: {answer_text(question)}** — {question.formula}.")
                elif result.verdict in ("close", "off"):
                    st.caption("Try once more: the answer appears after your next guess.")
            else:
                st.caption("The answer appears once you have checked a guess.")
    page = next(p for p in PAGES if p.script == step.page)
    words.page_link(page.script, label=f"See it on “{page.label}”", query_params=to_query(replace(s, variant=step.variant)))
    if not s.present:
        back, forward = st.columns(2)
    back.button("← Previous", on_click=_go, args=(index - 1,), disabled=index == 0, use_container_width=True)
    forward.button("Next →", on_click=_go, args=(index + 1,), disabled=index == len(steps) - 1, use_container_width=True, type="primary")

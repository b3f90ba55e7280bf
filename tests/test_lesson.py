import re

import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as hs

from lora_viz.lesson.feedback import feedback, parse_guess
from lora_viz.lesson.steps import answer_text, known_quantities, lesson_steps
from lora_viz.settings import LESSON_LENGTH, Settings


def questions(settings=Settings()):
    return [step.question for step in lesson_steps(settings) if step.question]


def test_lesson_length_matches_the_settings_clamp():
    assert len(lesson_steps(Settings())) == LESSON_LENGTH


def test_seed_numbers_in_the_lesson():
    answers = [q.answer for q in questions()]
    assert answers[:2] == [16_777_216, 65_536]
    assert answers[2] == pytest.approx(0.390625)
    assert answers[3:5] == [16_842_752, 16_777_216]
    assert answers[5] == pytest.approx(0.25)  # 65,536 fp32 values = 256 KiB


def test_lesson_follows_settings_and_notation():
    steps = lesson_steps(Settings(d=1024, k=512, r=4, notation="paper"))
    assert steps[2].question.answer == 4 * (1024 + 512)
    assert "B (1,024×4)" in steps[0].body


@pytest.mark.parametrize(
    "text, value",
    [("65536", 65536), ("65,536", 65536), ("65.5k", 65500), ("16.8M", 16.8e6), ("1.2e6", 1.2e6), ("0.39%", 0.39),
     ("0.25 MiB", 0.25), (" 7 ", 7), ("1_000", 1000), ("abc", None), ("", None), ("1e999", None), ("--5", None)],
)
def test_parse_guess(text, value):
    assert parse_guess(text) == (pytest.approx(value) if value is not None else None)


def test_feedback_rules():
    trained = questions()[1]  # 65,536 parameters
    assert feedback("65536", trained).verdict == "exact"
    assert feedback("65535", trained).verdict == "close"  # counts must be exact to be exact
    assert feedback("60000", trained).message == "Close: 8.4% too low."
    assert feedback("16777216", trained).message == "Off: 256 times too high."
    assert feedback("40000", trained).message == "Off: 39% too low."
    assert feedback("lots", trained).verdict == "unreadable"
    share = questions()[2]  # 0.390625 %
    assert feedback("0.39", share).verdict == "exact"  # within 0.5% for percentages and MiB
    assert feedback("0.4", share).verdict == "close"


def test_answer_text_by_unit():
    q = questions()
    assert [answer_text(x) for x in (q[0], q[2], q[5])] == ["16,777,216 parameters", "0.3906%", "0.25 MiB"]


@pytest.mark.parametrize("guess, message", [
    ("1e-320", "Off: more than a million times too low."),  # was "inf times too low"
    ("1e300", "Off: more than a million times too high."),
    ("-1e300", "Off: the answer is a positive number."),  # was a 300-digit percentage
    ("0", "Off: the answer is a positive number."),
    ("9000000", "Off: 137 times too high."),
    ("100000000", "Off: about 1,526 times too high."),
])
def test_feedback_is_readable_for_any_guess(guess, message):
    assert feedback(guess, questions()[1]).message == message


@hyp_settings(max_examples=300, deadline=None)
@given(hs.floats(allow_nan=False, allow_infinity=False).map(repr))
def test_feedback_never_prints_inf_nan_or_long_numbers(guess):
    for question in questions():
        message = feedback(guess, question).message
        assert "inf" not in message and "nan" not in message and len(message) < 60, message


@pytest.mark.parametrize("settings", [Settings(), Settings(d=1024, k=512, r=4), Settings(d=12, k=10, r=3)])
def test_no_hint_answers_any_step(settings):
    """The guess box's hint said "for example 65536, 65.5k or 0.39": the answers to steps 3 and 4."""
    from lora_viz.lesson.feedback import HOW_TO_TYPE

    assert not re.search(r"\d", HOW_TO_TYPE)
    assert not re.search(r"\d", feedback("lots", questions(settings)[0]).message)


def test_the_lesson_ends_with_the_seed_questions_answer_in_words_and_numbers():
    last = lesson_steps(Settings())[-1]
    assert last.title == "The answer" and last.body.startswith("Yes.")
    for number in ("16,777,216", "65,536", "16,842,752"):
        assert number in last.body


def test_the_analogy_says_the_change_reaches_every_weight():
    analogy = next(step for step in lesson_steps(Settings()) if step.title == "An analogy").body
    assert "changes every weight" in analogy and "parts of" not in analogy


def test_a_guess_that_is_another_count_is_named_so_the_student_sees_what_was_right():
    lora = questions()[1]  # what LoRA trains: 65,536
    known = known_quantities(Settings())
    assert "A alone, d·r" in feedback("32768", lora, known).message
    assert "what serving with the adapter separate uses" in feedback("16842752", lora, known).message
    assert feedback("65536", lora, known).verdict == "exact"


def test_steps_draw_the_figure_they_talk_about():
    figures = {step.title: step.figure for step in lesson_steps(Settings())}
    assert figures["LoRA: what is trained"] == "drawing" and figures["Serving, option 2: merge"] == "merge"

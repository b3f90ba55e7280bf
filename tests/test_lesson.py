import ast
import inspect
import re
import sys

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as hs

from lora_viz.lesson import feedback as feedback_module
from lora_viz.lesson.feedback import MAX_GUESS_CHARS, TOO_LONG, feedback, parse_guess
from lora_viz.lesson.alt import step_alt
from lora_viz.lesson.figures import FIGURE_KINDS, answered_step_figure, step_figure
from lora_viz.lesson.text import answer_text, known_quantities, lesson_steps
from lora_viz.numbers.counts import count_params
from lora_viz.model.budget import matrix_memory
from lora_viz.render.plotly import LINK_COLOR, TRAINED_COLOR
from lora_viz.settings import LESSON_LENGTH, Settings, parse_settings


def questions(settings=Settings()):
    return [step.question for step in lesson_steps(settings) if step.question]


def test_the_lesson_slider_reaches_every_step_and_no_further():
    last, notices = parse_settings({"lesson": "99"})
    assert last.lesson == LESSON_LENGTH - 1 and notices  # clamped, with a notice
    assert lesson_steps(last)[last.lesson].title == "Next: PiSSA's start"


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


def _lines_run(text: str) -> int:
    """How many lines of Python parse_guess runs on text: a count of its work that involves no clock."""
    count = 0

    def trace(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
        return trace

    sys.settrace(trace)
    try:
        parse_guess(text)
    finally:
        sys.settrace(None)
    return count


def test_the_guess_parser_uses_no_regular_expression():
    """Its work is all in lines of Python the count below sees (a regular expression's backtracking is not)."""
    tree = ast.parse(inspect.getsource(feedback_module))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in node.names} | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not imported & {"re", "regex"}, imported


_TEN_CHARACTERS = ["1234567890", "65,536,000", "1.2345e+67", "12345.678k", "9" * 9 + "x", " 0.390625%"]


@hyp_settings(max_examples=200, deadline=None)
@given(hs.one_of(
    hs.text(max_size=100_000),
    hs.integers(10, 100_000).map(lambda n: "1" * n + "x"),  # 13 s for 16,000 digits and a letter, once
    hs.integers(10, 100_000).map(lambda n: "1" * n),
    hs.integers(1, 50_000).map(lambda n: "1." + "2" * n + "e"),
    hs.text(alphabet="0123456789.,_ e+-kmb%", max_size=100_000),
))
def test_no_guess_up_to_100_kb_costs_more_than_a_few_ten_character_ones(text):
    ten = max(_lines_run(short) for short in _TEN_CHARACTERS)
    assert _lines_run(text) <= 5 * ten, len(text)


def test_a_guess_past_the_cap_is_called_too_long_and_not_read():
    question = questions()[1]
    assert parse_guess("6" * (MAX_GUESS_CHARS + 1)) is None
    assert feedback("65536" + " " * MAX_GUESS_CHARS, question).verdict == "too long"
    assert feedback("1" * 100_000 + "x", question).message == TOO_LONG
    assert feedback(" 65,536 parameters ", question).verdict == "exact"  # the longest way to write an answer fits


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


def test_the_seed_question_ends_with_its_answer_in_words_and_numbers_then_the_variants_follow():
    steps = lesson_steps(Settings())
    # Step 9, as before the variants were added after it: teachers' links to it still open it.
    answer = steps[9]
    # It answers a question that asked "how many", not a yes-or-no one (it began "Yes.").
    assert answer.title == "The answer" and answer.body.startswith("For W of 4,096×4,096 at rank r = 8:")
    for number in ("16,777,216", "65,536", "16,842,752"):
        assert number in answer.body
    assert [step.title for step in steps[10:]] == ["Next: rsLoRA's scaling", "Next: DoRA's magnitude", "Next: PiSSA's start"]


def test_each_variant_step_asks_a_question_with_peft_exact_answers_and_opens_its_page_with_the_variant():
    steps = {step.title: step for step in lesson_steps(Settings())}
    rslora, dora, pissa = (steps[f"Next: {name}"] for name in ("rsLoRA's scaling", "DoRA's magnitude", "PiSSA's start"))
    assert rslora.question.answer == 65_536 and "2.828" in rslora.body  # the same factors; α/√r = 8/√8
    assert dora.question.answer == 65_536 + 4_096  # + m, one per output row (tests/test_variants.py: PEFT's count)
    assert pissa.question.answer == 2 * 65_536  # the rank-16 plain LoRA PEFT converts it to
    assert (rslora.variant, dora.variant, pissa.variant) == ("rslora", "dora", "pissa")
    assert (rslora.figure, dora.figure, pissa.figure) == ("rslora", "dora", "pissa")
    known = known_quantities(Settings())
    assert "what LoRA trains" in feedback("65536", dora.question, known).message  # forgot m: the page says so
    assert feedback("131072", pissa.question, known).verdict == "exact"


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
    assert figures["LoRA: what is trained"] == "lit" and figures["Serving, option 2: merge"] == "merge"
    assert set(figures.values()) <= set(FIGURE_KINDS) and len(set(figures.values())) == len(figures)  # each its own


def _picture(lesson: int, revealed: bool = False, **settings):
    s = Settings(lesson=lesson, **settings)
    return (answered_step_figure if revealed else step_figure)(s)


def _bars(figure) -> dict[str, float]:
    """Each bar's length (its parts added up) by its label, from the figure's bar traces."""
    lengths: dict[str, float] = {}
    for trace in figure["data"]:
        if trace["type"] == "bar":
            for label, value in zip(trace["y"], trace["x"]):
                lengths[label] = lengths.get(label, 0.0) + value
    return lengths


def _visible_text(figure) -> str:
    """Every text a reader sees in a figure: titles, notes, trace names, labels and written values."""
    layout = figure["layout"]
    texts = [str(layout.get("title", {}).get("text", "")), *(note["text"] for note in layout.get("annotations", []))]
    for trace in figure["data"]:
        texts += [str(trace.get("name", ""))] + [str(t) for key in ("text", "y") if isinstance(trace.get(key), list) for t in trace[key]]
    return "\n".join(texts)


def _totals(figure) -> dict[str, str]:
    """Each bar's number as written above it (its label, a colon, the number in bold)."""
    return {note["y"]: note["text"].split(": <b>", 1)[1].removesuffix("</b>") for note in figure["layout"]["annotations"]}


def test_full_fine_tuning_draws_w_alone_and_trained():
    figure = _picture(1)
    heatmaps = [trace for trace in figure["data"] if trace["type"] == "heatmap"]
    assert [trace["name"] for trace in heatmaps] == ["W"]
    assert figure["layout"]["shapes"][0]["line"]["color"] == TRAINED_COLOR
    assert "trained: every entry" in figure["layout"]["annotations"][0]["text"]


def test_what_lora_trains_lights_a_and_b_and_dims_w():
    figure = _picture(2, d=64, k=64, r=8)  # small enough to need no magnified corner
    w, up, down = (trace for trace in figure["data"] if trace["type"] == "heatmap")
    assert w["opacity"] < 1 and "opacity" not in up and "opacity" not in down
    lit = [shape for shape in figure["layout"]["shapes"] if shape["line"]["color"] == LINK_COLOR]
    assert len(lit) == 2 and all(shape["line"]["width"] >= 4 for shape in lit)
    assert "frozen: no gradient" in figure["layout"]["annotations"][0]["text"]


def test_the_share_compares_the_two_counts_and_names_the_share_once_revealed():
    c = count_params(4096, 4096, 8)
    assert _bars(_picture(3)) == {"full fine-tuning trains": c.full_trained, "LoRA trains": c.lora_trainable}
    assert _totals(_picture(3))["LoRA trains"] == "65,536 (?% of W)"
    assert _totals(_picture(3, revealed=True))["LoRA trains"] == "65,536 (0.3906% of W)"


def test_serving_separate_stacks_w_and_the_adapter_its_total_hidden_until_revealed():
    c = count_params(4096, 4096, 8)
    hidden, shown = _picture(4), _picture(4, revealed=True)
    assert _bars(hidden)["served with the adapter separate"] == 0 and _totals(hidden)["served with the adapter separate"] == "?"
    assert _bars(shown)["served with the adapter separate"] == c.served_separate
    assert _totals(shown)["served with the adapter separate"] == "16,842,752"


def test_the_merge_says_what_its_small_example_stands_for():
    notes = [note["text"] for note in _picture(5)["layout"]["annotations"]]
    assert "scaled down: 16×16 stands for 4,096×4,096" in notes
    assert not any("scaled down" in note for note in [n["text"] for n in _picture(5, d=16, k=16, r=8)["layout"]["annotations"]])


def test_the_adapters_size_is_hidden_until_revealed_and_then_to_scale():
    hidden, shown = _picture(6), _picture(6, revealed=True)
    assert _bars(hidden)["A and B in fp32"] == 0
    assert _bars(shown)["A and B in fp32"] == pytest.approx(0.25)  # MiB
    assert _bars(shown)["W in bf16"] == pytest.approx(32.0)


def test_what_to_remember_draws_training_memory_with_and_without_lora():
    memory = matrix_memory(count_params(4096, 4096, 8), "bf16", "mixed")
    bars = _bars(_picture(7))
    assert bars["full fine-tuning"] == pytest.approx(memory.full.total / 2**20)
    assert bars["LoRA"] == pytest.approx(memory.lora.total / 2**20)


def test_the_answer_draws_the_four_numbers_to_scale():
    c = count_params(4096, 4096, 8)
    assert _bars(_picture(9)) == {"full fine-tuning: trains and serves": c.full_trained, "LoRA: trains A and B": c.lora_trainable,
                                  "LoRA: freezes W": c.lora_frozen, "LoRA: serves, adapter separate": c.served_separate,
                                  "LoRA: serves, merged": c.served_merged}


@pytest.mark.parametrize("settings", [Settings(), Settings(d=1024, k=512, r=4), Settings(d=12, k=10, r=3)])
def test_no_picture_gives_its_questions_answer_away_before_a_guess(settings):
    for index, step in enumerate(lesson_steps(settings)):
        if step.question is None:
            continue
        s = replace(settings, lesson=index)
        before, after = _visible_text(step_figure(s)), _visible_text(answered_step_figure(s))
        answer = answer_text(step.question).removesuffix(" parameters").removesuffix("%").removesuffix(" MiB")
        assert answer not in before, (step.title, answer)
        if step.figure in ("share", "serving"):
            assert answer in after, (step.title, answer)
        hidden = [length for label, length in _bars(step_figure(s)).items() if _totals(step_figure(s))[label] == "?"]
        assert all(length == 0 for length in hidden)  # a hidden bar has no length either


def test_every_picture_has_a_text_alternative_from_its_numbers():
    for index, step in enumerate(lesson_steps(Settings())):
        text = step_alt(Settings(lesson=index), revealed=False)
        assert text and "?" not in text, (step.title, text)
    assert "16,842,752" in step_alt(Settings(lesson=4), revealed=True)
    assert "not shown until a guess is checked" in step_alt(Settings(lesson=4), revealed=False)

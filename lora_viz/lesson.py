"""The guided lesson: the seed question as short steps, each with its numbers from the settings,
and predict-then-reveal checks with feedback on a student's guess."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .counts import FORMULAS, count_params, with_numbers
from .memory import ELEMENT_BYTES, format_bytes, tensor_bytes
from .names import ADAPTER_DTYPE
from .notation import labels
from .settings import Settings

MIB = 2**20


@dataclass(frozen=True)
class Question:
    """A number to guess before it is revealed."""

    prompt: str
    unit: str  # "parameters", "%" or "MiB"
    answer: float
    formula: str  # how the answer is computed, with the numbers filled in


@dataclass(frozen=True)
class Step:
    title: str
    body: str  # markdown
    question: Question | None
    page: str  # the page script that shows this step


def lesson_steps(s: Settings) -> list[Step]:
    """The seed question and its answer, step by step, for W (d×k) and rank r."""
    c = count_params(s.d, s.k, s.r)
    n = labels(s.notation)
    dk = f"{s.d:,}×{s.k:,}"
    adapter_bytes = tensor_bytes(c.lora_trainable, ADAPTER_DTYPE)
    return [
        Step(
            "The question",
            f"A weight matrix W has d×k = {dk} entries. LoRA freezes it and trains two thin matrices instead: "
            f"{n.up} ({s.d:,}×{s.r:,}) and {n.down} ({s.r:,}×{s.k:,}) at rank r = {s.r:,}, with {n.merged}. "
            "**How many parameters are trained, and how many are used when the model answers — with and without LoRA?** "
            "Guess each number before you see it.",
            None,
            "pages/matrices.py",
        ),
        Step(
            "Full fine-tuning",
            "Without LoRA, every entry of W is updated during training, and the same full matrix is used afterwards.",
            Question("How many parameters does full fine-tuning train?", "parameters", c.full_trained,
                     f"{FORMULAS['full_trained']} = {with_numbers(c, 'full_trained')} = {c.full_trained:,}"),
            "pages/matrices.py",
        ),
        Step(
            "LoRA: what is trained",
            f"With LoRA only {n.up} and {n.down} learn; W stays frozen: its {c.lora_frozen:,} entries get no gradient "
            "and no optimizer state.",
            Question("How many parameters does LoRA train?", "parameters", c.lora_trainable,
                     f"{n.up} + {n.down} = {with_numbers(c, 'lora_trainable')} = {FORMULAS['lora_trainable']} = {c.lora_trainable:,}"),
            "pages/matrices.py",
        ),
        Step(
            "LoRA: what share",
            "Compare LoRA's trainable parameters with full fine-tuning's.",
            Question("What percent of W's parameters does LoRA train?", "%", c.trainable_percent,
                     f"{FORMULAS['trainable_percent']} = {with_numbers(c, 'trainable_percent')} = {c.trainable_percent:.4g}%"),
            "pages/matrices.py",
        ),
        Step(
            "Serving, option 1: keep the adapter separate",
            f"The model answers with W and the adapter side by side: y = W·x + {n.up}·({n.down}·x).",
            Question("How many parameters are used when serving with the adapter separate?", "parameters", c.served_separate,
                     f"{FORMULAS['served_separate']} = {with_numbers(c, 'served_separate')} = {c.served_separate:,}"),
            "pages/merge.py",
        ),
        Step(
            "Serving, option 2: merge",
            f"Compute {n.merged} once, then use only W′. Merging is common in practice.",
            Question("How many parameters are used after merging?", "parameters", c.served_merged,
                     f"W′ has W's shape: {FORMULAS['served_merged']} = {with_numbers(c, 'served_merged')} = {c.served_merged:,}, and no extra compute"),
            "pages/merge.py",
        ),
        Step(
            "How small is the adapter?",
            f"PEFT keeps {n.up} and {n.down} in {ADAPTER_DTYPE} ({ELEMENT_BYTES[ADAPTER_DTYPE]} bytes each) and saves only them after training. "
            f"W itself takes {format_bytes(tensor_bytes(c.full_trained, s.dtype))} in {s.dtype}.",
            Question(f"How many MiB do {n.up} and {n.down} take in {ADAPTER_DTYPE}?", "MiB", adapter_bytes / MIB,
                     f"{FORMULAS['lora_trainable']} · {ELEMENT_BYTES[ADAPTER_DTYPE]} B = {adapter_bytes:,} B = {adapter_bytes / MIB:.4g} MiB"),
            "pages/matrices.py",
        ),
        Step(
            "What to remember",
            "- LoRA cuts the cost of **training** — trainable parameters, gradients, optimizer states — not necessarily "
            "the size of the model.\n"
            "- Kept separate, the adapter adds a little to serving; merged, the model is exactly as large and as fast as before.\n"
            "- The saving comes from not updating the full matrix.",
            None,
            "pages/whole_model.py",
        ),
        Step(
            "An analogy",
            "Think of W as a large book. Full fine-tuning rewrites the whole book. LoRA writes a small note that changes "
            "parts of it. To read, you either read the book and the note together (separate), or rewrite the book once "
            "with the note applied (merged). Both give the same text; the note made the writing much cheaper.",
            None,
            "pages/merge.py",
        ),
    ]


_SUFFIXES = {"k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9}


def parse_guess(text: str) -> float | None:
    """A guess as a number: '65,536', '65536', '65.5k', '16.8M', '1.2e6', '0.39%', '0.25 MiB'; None if unreadable."""
    cleaned = text.strip().lower().replace(",", "").replace("_", "").replace(" ", "")
    cleaned = re.sub(r"(%|mib|mb|params|parameters)$", "", cleaned)
    match = re.fullmatch(r"([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)([kmbg]?)", cleaned)
    if not match:
        return None
    value = float(match.group(1)) * _SUFFIXES.get(match.group(2), 1.0)
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class Feedback:
    verdict: str  # "exact", "close", "off" or "unreadable"
    message: str


def feedback(guess_text: str, question: Question) -> Feedback:
    """Exact (counts: equal; % and MiB: within 0.5%), close (within 10%), or off, saying by how much."""
    guess = parse_guess(guess_text)
    if guess is None:
        return Feedback("unreadable", "Type a number, such as 65536, 65.5k or 0.39.")
    answer = question.answer
    error = abs(guess - answer) / abs(answer) if answer else abs(guess)
    exact = guess == answer if question.unit == "parameters" else error <= 0.005
    if exact:
        return Feedback("exact", "Exactly right.")
    direction = "high" if guess > answer else "low"
    if error <= 0.10:
        return Feedback("close", f"Close: {error:.1%} too {direction}.")
    if guess <= 0 or answer <= 0:
        return Feedback("off", "Off: the answer is a positive number." if answer > 0 else f"Off: too {direction}.")
    ratio = guess / answer if guess > answer else answer / guess  # inf past float's range: said in words below
    if ratio >= 2:
        return Feedback("off", f"Off: {_times(ratio)} too {direction}.")
    return Feedback("off", f"Off: {error:.0%} too {direction}.")  # below 100%: at most three digits


def _times(ratio: float) -> str:
    """'3.2 times', 'about 1,640 times', or 'more than a million times' (never inf, never a 300-digit number)."""
    if ratio >= 1e6:
        return "more than a million times"
    return f"{ratio:.3g} times" if ratio < 1000 else f"about {ratio:,.0f} times"


def answer_text(question: Question) -> str:
    """The answer as the lesson shows it."""
    if question.unit == "parameters":
        return f"{int(question.answer):,} parameters"
    if question.unit == "%":
        return f"{question.answer:.4g}%"
    return f"{question.answer:.4g} MiB"

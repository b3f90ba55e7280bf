"""Feedback on a student's guess: read it as a number, say how far off it is, in words for any guess."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence

from .steps import Quantity, Question

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


# No example numbers: any number here could be the answer to a step.
HOW_TO_TYPE = "Type a number: digits, with k for thousands or M for millions, or % for a share."


def feedback(guess_text: str, question: Question, known: Sequence[Quantity] = ()) -> Feedback:
    """Exact (counts: equal; % and MiB: within 0.5%), close (within 10%), or off, saying by how much. A count that is
    another quantity of the lesson (A alone, W plus the adapter, …) is named: the reasoning got that far."""
    guess = parse_guess(guess_text)
    if guess is None:
        return Feedback("unreadable", HOW_TO_TYPE)
    answer = question.answer
    error = abs(guess - answer) / abs(answer) if answer else abs(guess)
    exact = guess == answer if question.unit == "parameters" else error <= 0.005
    if exact:
        return Feedback("exact", "Exactly right.")
    if question.unit == "parameters":
        for quantity in known:
            if guess == quantity.value != answer:
                return Feedback("off", f"Not this one, but a real count: {quantity.value:,} is {quantity.words}.")
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

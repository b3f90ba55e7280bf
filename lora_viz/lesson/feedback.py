"""Feedback on a student's guess: read it as a number, say how far off it is, in words for any guess."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class Question:
    """A number to guess before it is revealed."""

    prompt: str
    unit: str  # "parameters", "%" or "MiB"
    answer: float
    formula: str  # how the answer is computed, with the numbers filled in


@dataclass(frozen=True)
class Quantity:
    """A number a student may compute on the way, and what it is: recognised in a guess, it tells them what was right."""

    value: int
    words: str


# The longest guess read: "16,777,216 parameters" is 21 characters. Anything longer is said to be too long before a
# single character is looked at, so a pasted page costs no more than a short guess.
MAX_GUESS_CHARS = 40
_SUFFIXES = {"k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9}
_UNITS = ("parameters", "params", "mib", "mb", "%")  # one, at the end, is left out (longest first)
_DIGITS = frozenset("0123456789")


def parse_guess(text: str) -> float | None:
    """A guess as a number: '65,536', '65536', '65.5k', '16.8M', '1.2e6', '0.39%', '0.25 MiB'; None if unreadable.

    One pass over at most MAX_GUESS_CHARS characters, without regular expressions (a backtracking pattern once took
    13 s on 16,000 digits and a letter).
    """
    if len(text) > MAX_GUESS_CHARS:
        return None
    cleaned = text.strip().lower().replace(",", "").replace("_", "").replace(" ", "")
    cleaned = next((cleaned[: -len(unit)] for unit in _UNITS if cleaned.endswith(unit)), cleaned)
    scale = 1.0
    if cleaned[-1:] in _SUFFIXES:
        cleaned, scale = cleaned[:-1], _SUFFIXES[cleaned[-1]]
    if not _is_decimal(cleaned):
        return None
    value = float(cleaned) * scale
    return value if math.isfinite(value) else None


def _is_decimal(text: str) -> bool:
    """True for [+-] digits [. digits] [e [+-] digits], with digits on at least one side of the point."""
    i, n = 0, len(text)
    if i < n and text[i] in "+-":
        i += 1
    whole = i
    while i < n and text[i] in _DIGITS:
        i += 1
    digits = i - whole
    if i < n and text[i] == ".":
        i += 1
        fraction = i
        while i < n and text[i] in _DIGITS:
            i += 1
        digits += i - fraction
    if digits == 0:
        return False
    if i < n and text[i] == "e":
        i += 1
        if i < n and text[i] in "+-":
            i += 1
        exponent = i
        while i < n and text[i] in _DIGITS:
            i += 1
        if i == exponent:
            return False
    return i == n


@dataclass(frozen=True)
class Feedback:
    verdict: str  # "exact", "close", "off", "unreadable" or "too long"
    message: str


# No example numbers: any number here could be the answer to a step.
HOW_TO_TYPE = "Type a number: digits, with k for thousands or M for millions, or % for a share."
TOO_LONG = "That is longer than any number asked for here: type the number alone."


def feedback(guess_text: str, question: Question, known: Sequence[Quantity] = ()) -> Feedback:
    """Exact (counts: equal; % and MiB: within 0.5%), close (within 10%), or off, saying by how much. A count that is
    another quantity of the lesson (A alone, W plus the adapter, …) is named: the reasoning got that far."""
    if len(guess_text) > MAX_GUESS_CHARS:
        return Feedback("too long", TOO_LONG)
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

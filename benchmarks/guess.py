"""The lesson's guess box against long input: how long `feedback` takes for guesses up to 100 KB.

The worst inputs of the old pattern (a run of digits and one other character) and a few others, each timed over
repeated calls (the best of five rounds), against a ten-character guess.
"""

from __future__ import annotations

import timeit
from dataclasses import dataclass

from lora_viz.lesson.feedback import feedback
from lora_viz.lesson.text import lesson_steps
from lora_viz.settings import Settings

SIZE = 100_000
INPUTS = {
    "ten characters": "65,536,000",
    "100 KB: digits and a letter": "1" * (SIZE - 1) + "x",
    "100 KB: digits": "1" * SIZE,
    "100 KB: a decimal and an exponent mark": "1." + "2" * (SIZE - 3) + "e",
    "100 KB: spaces around a number": " " * (SIZE // 2 - 3) + "65536" + " " * (SIZE // 2 - 2),
}


@dataclass(frozen=True)
class Guess:
    input: str
    ms: float


def run() -> list[Guess]:
    question = next(step.question for step in lesson_steps(Settings()) if step.question)
    results = []
    for name, text in INPUTS.items():
        calls = 200
        best = min(timeit.repeat(lambda: feedback(text, question), number=calls, repeat=5)) / calls
        results.append(Guess(name, 1000 * best))
    for result in results:
        print(result, flush=True)
    return results


def table(results: list[Guess]) -> list[str]:
    return [
        "| guess | ms per check (best of five rounds) |",
        "|---|---:|",
        *(f"| {g.input} | {g.ms:.4f} |" for g in results),
    ]


if __name__ == "__main__":
    run()

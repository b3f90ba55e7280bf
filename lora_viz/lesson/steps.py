"""The guided lesson: the seed question as short steps, each with its numbers from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from ..names import ADAPTER_DTYPE
from ..notation import labels
from ..numbers.counts import FORMULAS, count_params, with_numbers
from ..numbers.memory import ELEMENT_BYTES, format_bytes, tensor_bytes
from ..settings import Settings

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


def answer_text(question: Question) -> str:
    """The answer as the lesson shows it."""
    if question.unit == "parameters":
        return f"{int(question.answer):,} parameters"
    if question.unit == "%":
        return f"{question.answer:.4g}%"
    return f"{question.answer:.4g} MiB"

"""The guided lesson's words: the seed question as short steps (lora_viz/outline.py), each with its numbers from the
settings."""

from __future__ import annotations

from dataclasses import dataclass

from ..names import ADAPTER_DTYPE
from ..notation import labels
from ..numbers.counts import FORMULAS, count_params, scaling, with_numbers
from ..numbers.memory import ELEMENT_BYTES, MIB, format_bytes, tensor_bytes
from ..outline import OUTLINE
from ..settings import Settings
from .feedback import Quantity, Question


@dataclass(frozen=True)
class Step:
    title: str
    body: str  # markdown
    question: Question | None
    page: str  # the page script that shows this step
    figure: str  # the picture the step draws (lesson/figures.py: FIGURE_KINDS)
    variant: str = "lora"  # the LoRA variant its page link opens with


def known_quantities(s: Settings) -> list[Quantity]:
    """The counts a student might reach for W (d×k) and rank r, each said in words."""
    c = count_params(s.d, s.k, s.r)
    n = labels(s.notation)
    return [
        Quantity(c.full_trained, "W's size, d·k: what full fine-tuning trains and what a merged model serves"),
        Quantity(c.lora_trainable, f"{n.up} and {n.down} together, r·(d + k): what LoRA trains"),
        Quantity(c.served_separate, "W plus the adapter, d·k + r·(d + k): what serving with the adapter separate uses"),
        Quantity(s.d * s.r, f"{n.up} alone, d·r: one of LoRA's two trained factors"),
        Quantity(s.r * s.k, f"{n.down} alone, r·k: one of LoRA's two trained factors"),
        Quantity(s.d + s.k, "d + k: the shape of the two factors, not yet times the rank r"),
        Quantity(c.lora_trainable + s.d, f"{n.up}, {n.down} and DoRA's magnitude, r·(d + k) + d: what DoRA trains"),
        Quantity(2 * c.lora_trainable, "r·(d + k) twice: a plain LoRA of rank 2r, as PEFT converts PiSSA to serve it"),
    ]


def lesson_steps(s: Settings) -> list[Step]:
    """The seed question and its answer, step by step, for W (d×k) and rank r."""
    c = count_params(s.d, s.k, s.r)
    dora = count_params(s.d, s.k, s.r, "dora")
    n = labels(s.notation)
    dk = f"{s.d:,}×{s.k:,}"
    adapter_bytes = tensor_bytes(c.lora_trainable, ADAPTER_DTYPE)
    said = [  # body and question of each step, in OUTLINE's order
        (
            f"A weight matrix W has d×k = {dk} entries. LoRA freezes it and trains two thin matrices instead: "
            f"{n.up} ({s.d:,}×{s.r:,}) and {n.down} ({s.r:,}×{s.k:,}) at rank r = {s.r:,}, with {n.merged}. "
            "**How many parameters are trained, and how many are used when the model answers — with and without LoRA?** "
            "Guess each number before you see it.",
            None,
        ),
        (
            "Without LoRA, every entry of W is updated during training, and the same full matrix is used afterwards.",
            Question("How many parameters does full fine-tuning train?", "parameters", c.full_trained,
                     f"{FORMULAS['full_trained']} = {with_numbers(c, 'full_trained')} = {c.full_trained:,}"),
        ),
        (
            f"With LoRA only {n.up} and {n.down} learn; W stays frozen: its {c.lora_frozen:,} entries get no gradient "
            "and no optimizer state.",
            Question("How many parameters does LoRA train?", "parameters", c.lora_trainable,
                     f"{n.up} + {n.down} = {with_numbers(c, 'lora_trainable')} = {FORMULAS['lora_trainable']} = {c.lora_trainable:,}"),
        ),
        (
            "Compare LoRA's trainable parameters with full fine-tuning's.",
            Question("What percent of W's parameters does LoRA train?", "%", c.trainable_percent,
                     f"{FORMULAS['trainable_percent']} = {with_numbers(c, 'trainable_percent')} = {c.trainable_percent:.4g}%"),
        ),
        (
            f"The model answers with W and the adapter side by side: y = W·x + {n.up}·({n.down}·x).",
            Question("How many parameters are used when serving with the adapter separate?", "parameters", c.served_separate,
                     f"{FORMULAS['served_separate']} = {with_numbers(c, 'served_separate')} = {c.served_separate:,}"),
        ),
        (
            f"Compute {n.merged} once, then use only W′. Merging is common in practice.",
            Question("How many parameters are used after merging?", "parameters", c.served_merged,
                     f"W′ has W's shape: {FORMULAS['served_merged']} = {with_numbers(c, 'served_merged')} = {c.served_merged:,}, and no extra compute"),
        ),
        (
            f"PEFT keeps {n.up} and {n.down} in {ADAPTER_DTYPE} ({ELEMENT_BYTES[ADAPTER_DTYPE]} bytes each) and saves only them after training. "
            f"W itself takes {format_bytes(tensor_bytes(c.full_trained, s.dtype))} in {s.dtype}.",
            Question(f"How many MiB do {n.up} and {n.down} take in {ADAPTER_DTYPE}?", "MiB", adapter_bytes / MIB,
                     f"{FORMULAS['lora_trainable']} · {ELEMENT_BYTES[ADAPTER_DTYPE]} B = {adapter_bytes:,} B = {adapter_bytes / MIB:.4g} MiB"),
        ),
        (
            "- LoRA cuts the cost of **training** — trainable parameters, gradients, optimizer states — not necessarily "
            "the size of the model.\n"
            "- Kept separate, the adapter adds a little to serving; merged, the model is exactly as large and as fast as before.\n"
            "- The saving comes from not updating the full matrix.",
            None,
        ),
        (
            "Think of W as a large book. Full fine-tuning may rewrite any word, each on its own. LoRA writes a short "
            "recipe instead — two thin lists whose product says how to adjust every word a little, in only r "
            "independent ways: ΔW is dense and changes every weight of W, but it is built from few numbers. To read, "
            "you either follow the book and the recipe together (separate), or apply the recipe once and print a new "
            "book (merged). Both give the same text; the recipe made the writing much cheaper.",
            None,
        ),
        (
            f"For W of {dk} at rank r = {s.r:,}: full fine-tuning trains and serves **{c.full_trained:,}** "
            f"parameters. LoRA trains **{c.lora_trainable:,}** ({n.up} and {n.down}) and freezes the "
            f"{c.lora_frozen:,} of W. Served with the adapter kept separate, the model uses **{c.served_separate:,}**; "
            f"merged ({n.merged}), it is back to **{c.served_merged:,}**, with no extra compute.",
            None,
        ),
        (
            f"PEFT's `use_rslora=True` (rank-stabilised LoRA) changes one thing: ΔW is scaled by α/√r instead of α/r. "
            f"At r = {s.r:,} and α = {s.alpha:g} that is {scaling(s.alpha, s.r, 'rslora'):.4g} instead of "
            f"{scaling(s.alpha, s.r):.4g}: at high ranks α/r shrinks the update so much that it learns slowly, α/√r less so.",
            Question("How many parameters does rsLoRA train?", "parameters", c.lora_trainable,
                     f"the same as LoRA, {n.up} + {n.down} = {FORMULAS['lora_trainable']} = {c.lora_trainable:,}: rsLoRA "
                     "changes the scaling, not the factors"),
        ),
        (
            f"PEFT's `use_dora=True` (DoRA) splits each row of W′ into a length and a direction: W′ = m ⊙ (W + ΔW)/‖W + ΔW‖, "
            f"row by row. The direction comes from W + ΔW as in LoRA; the length mᵢ of each of the {s.d:,} output rows is "
            f"trained too, a vector m of {s.d:,} numbers beside {n.up} and {n.down}.",
            Question("How many parameters does DoRA train?", "parameters", dora.lora_trainable,
                     f"{n.up} + {n.down} + m = {with_numbers(dora, 'lora_trainable')} = {dora.lora_trainable:,}; merged, "
                     f"W′ is again {s.d:,}×{s.k:,}"),
        ),
        (
            f"PEFT's `init_lora_weights=\"pissa\"` (PiSSA) starts {n.up} and {n.down} from W's top-{s.r:,} singular "
            f"vectors instead of from zero, and takes their product out of W, so the model is unchanged at the start. "
            f"It trains as many parameters as LoRA. But its adapter was trained on that residual base: to serve it on "
            f"the original W, PEFT folds the starting factors in, as a plain LoRA of rank 2r = {2 * s.r:,}.",
            Question(f"How many parameters does that rank-{2 * s.r:,} adapter hold?", "parameters", 2 * c.lora_trainable,
                     f"2r·(d + k) = {2 * s.r:,}·({s.d:,} + {s.k:,}) = {2 * c.lora_trainable:,}, twice what PiSSA trained"),
        ),
    ]
    return [Step(o.title, body, question, o.page, o.figure, o.variant) for o, (body, question) in zip(OUTLINE, said, strict=True)]


def answer_text(question: Question) -> str:
    """The answer as the lesson shows it."""
    if question.unit == "parameters":
        return f"{int(question.answer):,} parameters"
    if question.unit == "%":
        return f"{question.answer:.4g}%"
    return f"{question.answer:.4g} MiB"

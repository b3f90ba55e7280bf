"""The matrices page's numbers and sentences, computed from the settings (the page only lays them out)."""

from __future__ import annotations

from dataclasses import dataclass

from ..keys import depends_on
from ..notation import labels
from ..names import VARIANT_NAMES
from ..numbers.counts import ParamCounts, break_even_rank, count_params, formulas, scaling_text, with_numbers
from ..model.budget import matrix_memory
from ..numbers.memory import DTYPE_LABELS, recipe_text
from ..render.markdown import Headline, bytes_text, caption
from ..settings import Settings
from .budget import INSTANT_LOOKUPS, product_lookups
from .layout import scale_layout


@dataclass(frozen=True)
class MemoryRow:
    """One line of the memory table: bytes for full fine-tuning and for LoRA (None: not possible)."""

    part: str
    full: int | None
    lora: int | None


def _ratio_text(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:,.2f}".rstrip("0").rstrip(".")


@depends_on("d", "k", "r", "notation", "variant")  # declared: the rank slider's preview is cached by them (preview.py)
def seed_numbers(s: Settings) -> list[Headline]:
    """The four answers to the seed question for W (d×k) and rank r (DoRA's magnitude m counted with the factors)."""
    c = count_params(s.d, s.k, s.r, s.variant)
    names = labels(s.notation)
    trained = f"{names.up} + {names.down}" + (" + m" if c.magnitude else "")
    f = formulas(s.variant)
    return [
        Headline("Full fine-tuning: trains, serves", c.full_trained, f"{f['full_trained']} = {with_numbers(c, 'full_trained')}"),
        Headline(f"{VARIANT_NAMES[s.variant]} trains", c.lora_trainable,
                 f"{trained} = {with_numbers(c, 'lora_trainable')}; W frozen: {c.lora_frozen:,}"),
        Headline("Served, adapter separate", c.served_separate, f"W + {trained} = {f['served_separate']}"),
        Headline("Served, merged", c.served_merged,
                 f"{'W′ = m ⊙ (W + ΔW)/‖W + ΔW‖' if c.magnitude else names.merged}: {f['served_merged']} again, no extra compute"),
    ]


def variant_lines(s: Settings) -> list[str]:
    """What the chosen LoRA variant changes, in PEFT's terms ([] for plain LoRA)."""
    names = labels(s.notation)
    return {
        "lora": [],
        "rslora": [f"rsLoRA (PEFT's use_rslora=True) scales ΔW by α/√r = {s.alpha:g}/√{s.r:,} instead of α/r: the same "
                   f"parameters, and a step of the same size moves ΔW about as much at every rank."],
        "dora": [f"DoRA (PEFT's use_dora=True) trains a magnitude m beside {names.up} and {names.down}: one number per output "
                 f"row of W, {s.d:,} here, started at W's row norms. Merged, W′ = m ⊙ (W + ΔW)/‖W + ΔW‖ row by row: still "
                 f"{s.d:,}×{s.k:,}."],
        "pissa": [f"PiSSA (PEFT's init_lora_weights=\"pissa\") starts {names.up} and {names.down} from W's top-{s.r:,} singular "
                  f"vectors (√S shared between them) and takes (α/r)·{names.product} out of W, so W′ = W at the start: the same "
                  f"parameters as LoRA. To serve on the original W, PEFT turns the result into a plain LoRA of rank {2 * s.r:,}."],
    }[s.variant]


def _share_line(c: ParamCounts) -> str:
    """LoRA's (DoRA's, with its magnitude) trainable share, compared the right way round at any rank (r·(d + k) can
    pass d·k)."""
    name, count = ("DoRA", "r·(d + k) + d") if c.magnitude else ("LoRA", "r·(d + k)")
    if c.lora_trainable < c.full_trained:
        return (f"{name} trains {c.trainable_percent:.4g}% of the weights: "
                f"{_ratio_text(float(c.reduction))}× fewer than full fine-tuning.")
    if c.lora_trainable == c.full_trained:
        return f"{name} trains exactly as many parameters as full fine-tuning here: {count} = d·k."
    return (f"{count} is {_ratio_text(float(1 / c.reduction))}× d·k: "
            f"{name} trains more parameters than full fine-tuning here.")


def count_lines(s: Settings) -> list[str]:
    """Plain sentences about the counts: share, reduction, break-even rank, and what the variant changes."""
    c = count_params(s.d, s.k, s.r, s.variant)
    even = break_even_rank(s.d, s.k)
    even_text = f"{even.numerator:,}" if even.denominator == 1 else f"{float(even):,.1f}"
    side = "below" if s.r < even else ("at" if s.r == even else "above")
    return [
        _share_line(c),
        f"It freezes all {c.lora_frozen:,} weights of W: they get no gradient and no optimizer state.",
        f"Break-even rank d·k/(d + k) = {even_text}: at r = {s.r:,} you are {side} it"
        + (" — LoRA would train more than full fine-tuning." if side == "above" else "."),
        *variant_lines(s),
    ]


def memory_rows(s: Settings) -> list[MemoryRow]:
    """Training (AdamW) and serving bytes for W in the chosen dtype and the adapter as the precision keeps it."""
    m = matrix_memory(count_params(s.d, s.k, s.r, s.variant), s.dtype, s.precision)
    full = m.full
    return [
        MemoryRow("Weights", full and full.weights, m.lora.weights),
        MemoryRow("Gradients", full and full.gradients, m.lora.gradients),
        MemoryRow("AdamW states (m and v)", full and full.optimizer_states, m.lora.optimizer_states),
        MemoryRow("Training total", full and full.total, m.lora.total),
        MemoryRow("Serving, adapter separate", m.frozen_bytes, m.served_separate),
        MemoryRow("Serving, merged", m.frozen_bytes, m.served_merged),
    ]


def memory_notes(s: Settings) -> list[str]:
    """What the memory table assumes."""
    notes = [
        f"W is stored in {DTYPE_LABELS[s.dtype]}. Recipe: {recipe_text(s.dtype, s.precision)}. {VARIANT_NAMES[s.variant]} trains "
        f"{labels(s.notation).up} and {labels(s.notation).down}" + (f" and the magnitude m ({s.d:,} numbers)" if s.variant == "dora" else "")
        + "; full fine-tuning trains W.",
        "AdamW keeps two states per trained weight in its trained dtype and a 4-byte step per tensor (PyTorch); frozen "
        "weights get no gradient and no state. Activations are not included. The same rules as the whole-model page.",
        "Sizes in binary units: 1 KiB = 1,024 B, 1 MiB = 1,024² B, 1 GiB = 1,024³ B.",
    ]
    if s.dtype in ("int8", "nf4", "nf4-dq"):
        notes.append(f"Full fine-tuning cannot train {s.dtype} weights directly, so its training column is empty.")
    return notes


@depends_on("d", "k", "r", "notation", "variant", memo=256)  # asked twice per run: for the caption and the text alternative
def scale_caption(s: Settings) -> str:
    """What the to-scale drawing shows, in words, for the caption and the text alternative."""
    g = scale_layout(s.d, s.k, s.r)
    names = labels(s.notation)
    if g.block == 1:
        cells = "Every weight is drawn as one cell."
    else:
        cells = (
            f"Each drawn cell is the exact mean of a {g.block:,}×{g.block:,} block of weights "
            f"(W: {g.edges(s.d).size - 1}×{g.edges(s.k).size - 1} cells; blocks at the edges may be smaller)."
        )
    thin = ""
    if g.needs_magnifier:
        thin = f" The thinnest strip is {g.thinnest_px:.2g} px wide at this scale, so a magnified corner is shown below it."
    magnitude = ""
    if s.variant == "dora":
        magnitude = (f" DoRA's magnitude m ({s.d:,}×1, one per output row) stands beside {names.up} at the same scale, "
                     "as wide as one rank: its colours are lengths on a scale of their own (white at 0, dark red at the "
                     "largest), a seeded example like the factors; on the merge page m is computed from W.")
    return (
        f"W ({s.d:,}×{s.k:,}), {names.up} ({s.d:,}×{s.r:,}) and {names.down} ({s.r:,}×{s.k:,}) at the same pixels per row "
        f"and per column: areas compare honestly. {cells}{thin} Colour: blue below zero, white at zero, red above; "
        f"hover a cell for its number.{magnitude}"
    )


def delta_at_start(s: Settings) -> str:
    """Why ΔW is zero before training, in this notation."""
    names = labels(s.notation)
    pissa = (f" PiSSA starts otherwise: its factors start from W's top-{s.r:,} singular vectors, so ΔW is not zero, and the "
             f"base becomes W − ΔW, so W′ = W exactly all the same (the drawing shows LoRA's start)." if s.variant == "pissa" else "")
    return (
        f"At initialisation {names.up} (next to the output) is all zeros and {names.down} (next to the input) is random, "
        f"as in the LoRA paper, so ΔW = ({scaling_text(s.variant)})·{names.product} = 0 and W′ = W exactly.{pissa} "
        "Switch on “Trained adapter” in the sidebar to see a non-zero ΔW."
    )


def delta_pending(s: Settings) -> str:
    """'' when ΔW's exact block means are quick; otherwise the note shown while they are computed."""
    lookups = product_lookups(s.d, s.k, s.r)
    if lookups <= INSTANT_LOOKUPS:
        return ""
    return (
        f"Computing ΔW's exact block means: at r = {s.r:,} that is {lookups:,} lookups (every one of the r rank-1 "
        "terms counts), so it is drawn a moment after the rest of the page."
    )


def memory_columns(rows: list[MemoryRow]) -> dict[str, list[str]]:
    """The memory table as columns of text: exact bytes and binary units, full fine-tuning beside LoRA."""
    return {
        "": [row.part for row in rows],
        "Full fine-tuning": [bytes_text(row.full) for row in rows],
        "LoRA": [bytes_text(row.lora) for row in rows],
    }


def headline_columns(items: list[Headline]) -> dict[str, list[str]]:
    """Headline numbers as a two-column table: what is counted (its formula in small grey type) and the number."""
    return {"": [f"{item.label} {caption(item.formula)}" for item in items], "parameters": [f"**{item.value:,}**" for item in items]}

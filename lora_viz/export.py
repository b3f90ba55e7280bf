"""The current numbers as CSV or Markdown, and a PEFT LoraConfig matching the settings, for slides and notebooks."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from .numbers.counts import FORMULAS, count_params
from .numbers.memory import format_bytes, matrix_memory
from .model.text import METHOD_LABELS
from .model.view import model_view
from .model.presets import ALL_LINEAR
from .settings import Settings, model_spec


@dataclass(frozen=True)
class ExportRow:
    section: str
    quantity: str
    value: int | float
    unit: str
    formula: str


def numbers_table(s: Settings) -> list[ExportRow]:
    """Counts and memory for one d×k matrix, then the chosen whole model, all from the current settings."""
    c = count_params(s.d, s.k, s.r)
    m = matrix_memory(c, s.dtype, s.precision)
    one = f"one {s.d}×{s.k} matrix, r = {s.r}, {s.precision} precision"
    rows = [
        ExportRow(one, "full fine-tuning trains", c.full_trained, "parameters", FORMULAS["full_trained"]),
        ExportRow(one, "LoRA trains", c.lora_trainable, "parameters", FORMULAS["lora_trainable"]),
        ExportRow(one, "LoRA freezes", c.lora_frozen, "parameters", FORMULAS["lora_frozen"]),
        ExportRow(one, "served, adapter separate", c.served_separate, "parameters", FORMULAS["served_separate"]),
        ExportRow(one, "served, merged", c.served_merged, "parameters", FORMULAS["served_merged"]),
        ExportRow(one, "LoRA's share of trainable parameters", round(c.trainable_percent, 6), "%", FORMULAS["trainable_percent"]),
        ExportRow(one, f"W in {s.dtype}", m.frozen_bytes, "bytes", format_bytes(m.frozen_bytes)),
        ExportRow(one, f"adapter in {m.adapter_dtype}", m.adapter_bytes, "bytes", format_bytes(m.adapter_bytes)),
        ExportRow(one, "LoRA training total (AdamW)", m.lora.total, "bytes",
                  f"W + A and B, their gradients and 2 AdamW states in {m.adapter_dtype}, a 4-byte step each"),
    ]
    if m.full is not None:
        rows.append(ExportRow(one, "full fine-tuning training total (AdamW)", m.full.total, "bytes",
                              f"W, its gradient and 2 AdamW states in {m.adapter_dtype}, a 4-byte step"))
    view = model_view(s)
    recipe = f"{s.precision} precision" + (", prepared as PEFT does" if s.method == "qlora" and s.prepared else "")
    model = f"{view.spec.label}, targets {','.join(s.targets)}, r = {s.r}, {recipe}"
    memory = view.training[s.method]
    rows += [
        ExportRow(model, "trainable (PEFT)", view.counts.trainable, "parameters", "Σ r·(in + out) over targeted layers"),
        ExportRow(model, "all (PEFT)", view.counts.all, "parameters", "base + trainable"),
        ExportRow(model, f"{METHOD_LABELS[s.method]}: weights", memory.weights, "bytes", format_bytes(memory.weights)),
        ExportRow(model, f"{METHOD_LABELS[s.method]}: gradients", memory.gradients, "bytes", format_bytes(memory.gradients)),
        ExportRow(model, f"{METHOD_LABELS[s.method]}: optimizer states ({s.optimizer})", memory.optimizer_states, "bytes", format_bytes(memory.optimizer_states)),
        ExportRow(model, f"{METHOD_LABELS[s.method]}: activations (saved for backward, {s.attention}, batch {s.batch}, seq {s.seq}{', checkpointed' if memory.saved.checkpointing else ''})", memory.activations, "bytes", format_bytes(memory.activations)),
    ]
    return rows


def to_csv(rows: list[ExportRow]) -> str:
    """CSV with a header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "quantity", "value", "unit", "formula"])
    for row in rows:
        writer.writerow([row.section, row.quantity, row.value, row.unit, row.formula])
    return out.getvalue()


def to_markdown(rows: list[ExportRow]) -> str:
    """A Markdown table per section, numbers with thousands separators."""
    lines, section = [], None
    for row in rows:
        if row.section != section:
            section = row.section
            lines += ["", f"### {section}", "", "| quantity | value | unit | formula |", "|---|---:|---|---|"]
        value = f"{row.value:,}" if isinstance(row.value, int) else f"{row.value:g}"
        lines.append(f"| {row.quantity} | {value} | {row.unit} | {row.formula} |")
    return "\n".join(lines).lstrip() + "\n"


def lora_config_snippet(s: Settings) -> str:
    """Python that builds the PEFT LoraConfig for the current rank, α and target modules."""
    targets = f'"{ALL_LINEAR}"' if ALL_LINEAR in s.targets else "[" + ", ".join(f'"{t}"' for t in s.targets) + "]"
    task = "" if model_spec(s).family == "bert" else '\n    task_type="CAUSAL_LM",'
    alpha = int(s.alpha) if float(s.alpha).is_integer() else s.alpha
    return (
        "from peft import LoraConfig\n\n"
        "config = LoraConfig(\n"
        f"    r={s.r},\n"
        f"    lora_alpha={alpha},\n"
        f"    target_modules={targets},{task}\n"
        ")\n"
    )

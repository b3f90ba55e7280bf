"""What the whole-model page shows, computed from settings: the model, its counts, memory and serving."""

from __future__ import annotations

from dataclasses import dataclass

from .keys import depends_on
from .memory import format_bytes
from .models import ModelSpec
from .settings import Settings, model_spec
from .summary import bytes_text
from .names import METHODS, float_dtype
from .whole_model import ModelCounts, ServingBytes, TrainingBytes, model_counts, serving_bytes, training_bytes

METHOD_LABELS = {"full": "Full fine-tuning", "lora": "LoRA", "qlora": "QLoRA (NF4 base)"}
OPTIMIZER_LABELS = {"adamw": "AdamW", "sgd": "SGD (no momentum)", "adamw8bit": "8-bit AdamW (bitsandbytes)"}


@dataclass(frozen=True)
class ModelView:
    """Everything the whole-model page needs for the current settings."""

    spec: ModelSpec
    dtype: str  # the float dtype used for the base (full and LoRA)
    counts: ModelCounts
    training: dict[str, TrainingBytes]  # by method
    serving: ServingBytes


MODEL = ("model", "hidden", "intermediate", "layers", "heads", "kv_heads", "vocab", "r", "targets")  # model and adapter
RECIPE = ("dtype", "optimizer", "batch", "seq", "ckpt", "adapters")  # how it is trained and served


# A page run asks three times (its numbers, the memory figure, the figure's text alternative); the key is small.
@depends_on(*MODEL, *RECIPE, memo=64)
def model_view(s: Settings) -> ModelView:
    """Counts, memory for every method, and serving for the chosen model, targets, rank and dtype."""
    spec = model_spec(s)
    dtype = float_dtype(s.dtype, "bf16")  # the base of full fine-tuning and LoRA: a float dtype
    training = {
        method: training_bytes(spec, s.r, s.targets, method, dtype, s.optimizer, s.batch, s.seq, s.ckpt)
        for method in METHODS
    }
    return ModelView(spec, dtype, model_counts(spec, s.r, s.targets), training, serving_bytes(spec, s.r, s.targets, dtype, s.adapters))


def peft_printout(counts: ModelCounts) -> str:
    """The line PEFT's print_trainable_parameters() prints."""
    return f"trainable params: {counts.trainable:,} || all params: {counts.all:,} || trainable%: {counts.trainable_percent:.4f}"


def module_table(counts: ModelCounts) -> dict[str, list]:
    """One row per targetable layer: shape, how many, targeted, base and LoRA parameters."""
    return {
        "module": [row.path for row in counts.rows],
        "W shape (out × in)": [f"{row.out_features:,} × {row.in_features:,}" for row in counts.rows],
        "how many": [row.copies for row in counts.rows],
        "LoRA": ["✓" if row.targeted else "" for row in counts.rows],
        "base params": [f"{row.base_params:,}" for row in counts.rows],
        "LoRA params": [f"{row.lora_params:,}" for row in counts.rows],
    }


def memory_parts(m: TrainingBytes) -> dict[str, list[str]]:
    """One method's training memory, part by part, as a table of text."""
    values = (m.weights, m.gradients, m.optimizer_states, m.exact, m.activations, m.total)
    return {
        "": ["Weights", "Gradients", "Optimizer states", "Exact total", "Activations (estimate)", "Total"],
        "bytes": [bytes_text(v) for v in values],
    }


def dtype_note(s: Settings, view: ModelView) -> str:
    """Which dtypes the memory uses."""
    note = (
        f"Base in {view.dtype}; LoRA adapters in fp32 (PEFT's default), so their gradients and optimizer states are fp32. "
        "QLoRA stores the linear weights in NF4 with double quantisation (4.127 bits each) and the rest in bf16."
    )
    if view.dtype != s.dtype:
        note += f" The sidebar's dtype {s.dtype} is a storage format, not a training dtype: full fine-tuning and LoRA use bf16 here."
    return note


def serving_lines(s: Settings, view: ModelView) -> list[str]:
    """Serving in words: merged, separate, the adapter file, and N adapters on one base."""
    v = view.serving
    return [
        f"Merged: {format_bytes(v.merged)} — the base's size, no extra compute.",
        f"Adapter kept separate: {format_bytes(v.separate)} (base + adapter); the adapter file is about "
        f"{format_bytes(v.adapter_file)} ({v.adapter_file:,} B of fp32 weights plus a small header).",
        f"{v.n_adapters:,} adapters on one base: {format_bytes(v.shared_base)}, against {format_bytes(v.merged_copies)} for "
        f"{v.n_adapters:,} merged copies (the LoRA paper's example: 350 GB + 35 MB × 100 ≈ 354 GB instead of 35 TB).",
    ]

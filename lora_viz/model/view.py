"""The whole-model page's numbers for one set of settings: counts, memory for every method, serving."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..keys import depends_on
from ..names import METHODS, float_dtype
from ..settings import CUSTOM_KEYS, Settings, model_spec
from .budget import (
    ModelCounts,
    ServingBytes,
    TrainingBytes,
    model_counts,
    serving_bytes,
    training_bytes,
)
from ..presets import ModelSpec


@dataclass(frozen=True)
class ModelView:
    """Everything the whole-model page needs for the current settings."""

    spec: ModelSpec
    dtype: str  # the float dtype used for the base (full and LoRA)
    counts: ModelCounts
    training: dict[str, TrainingBytes]  # by method
    serving: ServingBytes


MODEL = ("model", *CUSTOM_KEYS, "r", "targets", "variant")  # the model (a preset, or every custom size and switch) and the adapter
RECIPE = ("dtype", "precision", "prepared", "optimizer", "batch", "seq", "ckpt", "attention", "lora_dropout", "model_dropout",
          "padded", "qlora_recipe", "adapters", "save_dtype", "gpus")  # how it is trained and served


# The QLoRA paper's headline (Dettmers et al. 2023): LLaMA-65B fine-tuned on one 48 GB GPU with its recipe, qlora.py:
# LoRA r = 64, α = 16, dropout 0.05 on every linear layer, paged 32-bit AdamW, gradient checkpointing; batch 1 of 512
# tokens here.
QLORA_PAPER = {"model": "llama-65b", "method": "qlora", "qlora_recipe": "paper", "r": 64, "alpha": 16.0, "targets": ("all-linear",),
               "optimizer": "paged_adamw", "lora_dropout": 0.05, "batch": 1, "seq": 512, "dtype": "bf16", "precision": "mixed"}


def qlora_paper_example(s: Settings) -> Settings:
    """The current settings with the QLoRA paper's headline recipe on LLaMA-65B."""
    return replace(s, **QLORA_PAPER)


def shows_qlora_paper(s: Settings) -> bool:
    """Whether the settings already show the QLoRA paper's headline."""
    return all(getattr(s, key) == value for key, value in QLORA_PAPER.items())


def qlora_prepared(s: Settings) -> bool:
    """Whether QLoRA's model went through prepare_model_for_kbit_training: as chosen, and always in the paper's recipe."""
    return s.prepared or s.qlora_recipe == "paper"


# A page run asks three times (its numbers, the memory figure, the figure's text alternative); the key is small.
@depends_on(*MODEL, *RECIPE, "method", memo=64)  # the method: serving a QLoRA adapter differs
def model_view(s: Settings) -> ModelView:
    """Counts, memory for every method, and serving for the chosen model, targets, rank and dtype."""
    spec = model_spec(s)
    dtype = float_dtype(s.dtype, "bf16")  # the base of full fine-tuning and LoRA: a float dtype
    training = {
        method: training_bytes(spec, s.r, s.targets, method, dtype, s.optimizer, s.batch, s.seq, s.ckpt, s.precision, s.prepared,
                               s.attention, lora_dropout=s.lora_dropout, model_dropout=s.model_dropout,
                               padded=s.padded, qlora_recipe=s.qlora_recipe, variant=s.variant)
        for method in METHODS
    }
    serving = serving_bytes(spec, s.r, s.targets, dtype, s.adapters, s.save_dtype, s.method, s.variant)
    return ModelView(spec, dtype, model_counts(spec, s.r, s.targets, s.variant), training, serving)

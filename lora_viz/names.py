"""The names a link can use for its choices, and the float dtypes: the bottom of the app, imported by all."""

from __future__ import annotations

DTYPES = ("fp32", "fp16", "bf16", "int8", "nf4", "nf4-dq")
FLOAT_DTYPES = ("fp32", "fp16", "bf16")  # the dtypes that compute: the others are storage formats only
NOTATIONS = ("card", "paper")
METHODS = ("full", "lora", "qlora")
# Training precision: "mixed" keeps what is trained in fp32 (weights, gradients, optimizer states) and computes in
# the 16-bit dtype under autocast; "pure" keeps everything in the dtype; "plain" is PEFT's defaults in a loop without
# autocast: fp32 adapters on the 16-bit base, each adapter's input cast to fp32 (full fine-tuning: as pure).
PRECISIONS = ("mixed", "pure", "plain")
OPTIMIZERS = ("adamw", "sgd", "adamw8bit", "paged_adamw")
# QLoRA's casts after prepare_model_for_kbit_training: "peft" leaves them (fp32 adapters, norms, embeddings and head);
# "paper" is the QLoRA paper's qlora.py (adapters, embeddings and head cast to bf16, norms kept in fp32).
QLORA_RECIPES = ("peft", "paper")
# transformers' attention kernels: SDPA (its default; never keeps the seq×seq scores) and eager (keeps them).
ATTENTIONS = ("sdpa", "eager")
SPECTRA = ("rank", "power", "noise")
TRAINERS = ("adam", "gd")
# PEFT's LoRA variants: plain LoRA, rsLoRA (use_rslora: α/√r), DoRA (use_dora: a trained magnitude per output row),
# PiSSA (init_lora_weights="pissa": the factors start from W's top-r singular vectors).
VARIANTS = ("lora", "rslora", "dora", "pissa")
VARIANT_NAMES = {"lora": "LoRA", "rslora": "rsLoRA", "dora": "DoRA", "pissa": "PiSSA"}
IMAGE_FORMATS = ("png", "svg")
# PEFT keeps LoRA weights in fp32 when the base model is 16-bit or quantised (autocast_adapter_dtype=True, its
# default), in get_peft_model and in PeftModel.from_pretrained alike, whatever dtype the adapter was saved in.
ADAPTER_DTYPE = "fp32"


def float_dtype(dtype: str, fallback: str) -> str:
    """dtype if it computes (fp32, fp16, bf16), else `fallback`.

    Storage formats (int8, NF4) are dequantised to a 16-bit float to compute, so each page names its fallback:
    the whole model computes in bf16 (what QLoRA and bitsandbytes use), while the merge page compares rounding
    in fp32 (the exact reference) when the chosen dtype cannot hold W′ at all.
    """
    return dtype if dtype in FLOAT_DTYPES else fallback

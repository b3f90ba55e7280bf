"""The page's own numbers as CSV or Markdown, and the PEFT configuration matching the settings, for slides and notebooks.

Each page exports what it shows: the one-matrix pages their matrix's counts and memory, the whole-model page its
counts, memory, fit verdicts, ZeRO and serving. The formula column says how a number is computed, never its value
in other units.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from .presets import ALL_LINEAR, peft_targets
from .model.text import METHOD_LABELS, OPTIMIZER_LABELS, batch_recipe_text, fit_headline, zero_gpu_bytes, zero_verdict
from .model.view import model_view, qlora_prepared
from .names import VARIANT_NAMES
from .numbers.counts import count_params, formulas
from .model.budget import matrix_memory
from .numbers.memory import ELEMENT_BYTES, STEP_BYTES, ZERO_FORMULAS, ZERO_STAGES, card_by_key
from .settings import WHOLE_MODEL, Settings, model_spec


@dataclass(frozen=True)
class ExportRow:
    section: str
    quantity: str
    value: int | float | str  # a number, or a verdict in words
    unit: str
    formula: str


def numbers_table(s: Settings, page: str = "") -> list[ExportRow]:
    """What the page (its URL path) shows: the whole model's numbers on its page, one d×k matrix's elsewhere."""
    return model_rows(s) if page == WHOLE_MODEL else matrix_rows(s)


def matrix_rows(s: Settings) -> list[ExportRow]:
    """Counts and memory for one d×k matrix and its rank-r adapter, with the formula of each."""
    c = count_params(s.d, s.k, s.r, s.variant)
    m = matrix_memory(c, s.dtype, s.precision)
    one = f"one {s.d}×{s.k} matrix, r = {s.r}, {s.precision} precision" + ("" if s.variant == "lora" else f", {VARIANT_NAMES[s.variant]}")
    f = formulas(s.variant)
    tensors = 3 if c.magnitude else 2  # A, B (and DoRA's m): a step count each
    size = ELEMENT_BYTES.get(m.adapter_dtype, 4)
    w = "d·k · bytes per weight" if s.dtype in ELEMENT_BYTES else "d·k weights packed in NF4, with its constants"
    rows = [
        ExportRow(one, "full fine-tuning trains", c.full_trained, "parameters", f["full_trained"]),
        ExportRow(one, "LoRA trains", c.lora_trainable, "parameters", f["lora_trainable"]),
        ExportRow(one, "LoRA freezes", c.lora_frozen, "parameters", f["lora_frozen"]),
        ExportRow(one, "served, adapter separate", c.served_separate, "parameters", f["served_separate"]),
        ExportRow(one, "served, merged", c.served_merged, "parameters", f["served_merged"]),
        ExportRow(one, "LoRA's share of trainable parameters", round(c.trainable_percent, 6), "%", f["trainable_percent"]),
        ExportRow(one, f"W in {s.dtype}", m.frozen_bytes, "bytes", w),
        ExportRow(one, f"adapter in {m.adapter_dtype}", m.adapter_bytes, "bytes", f"{f['lora_trainable']} · {size}"),
        ExportRow(one, "LoRA training total (AdamW)", m.lora.total, "bytes",
                  f"W + {f['lora_trainable']} · ({size} weight + {size} gradient + 2 · {size} states) + {tensors} · {STEP_BYTES} steps"),
    ]
    if m.full is not None:
        rows.append(ExportRow(one, "full fine-tuning training total (AdamW)", m.full.total, "bytes",
                              f"d·k · ({size} weight + {size} gradient + 2 · {size} states) + {STEP_BYTES} step"))
    return rows


def model_rows(s: Settings) -> list[ExportRow]:
    """The whole-model page's numbers: counts, training memory part by part and in all, the fit verdicts, each ZeRO
    stage per GPU, and serving."""
    view = model_view(s)
    memory = view.training[s.method]
    method = METHOD_LABELS[s.method]
    qlora = (", the QLoRA paper's recipe" if s.qlora_recipe == "paper" else ", prepared as PEFT does" if s.prepared else "")
    recipe = f"{s.precision} precision, {OPTIMIZER_LABELS[s.optimizer]}" + (qlora if s.method == "qlora" else "")
    activations = f"{s.attention}, batch {s.batch}, seq {s.seq}{batch_recipe_text(s)}{', checkpointed' if memory.saved.checkpointing else ''}"
    model = f"{view.spec.label}: {method}, targets {','.join(s.targets)}, r = {s.r}, {recipe}"
    card = card_by_key(s.card)
    rows = [
        ExportRow(model, "trainable (PEFT)", view.counts.trainable if s.method != "full" else view.counts.base, "parameters",
                  "Σ r·(in + out) over targeted layers" if s.method != "full" else "every weight"),
        ExportRow(model, "all (PEFT)", view.counts.all, "parameters", "base + trainable"),
        ExportRow(model, "weights", memory.weights, "bytes", "Σ numel · bytes of each weight's dtype"),
        ExportRow(model, "gradients", memory.gradients, "bytes", "Σ numel · bytes over trained weights"),
        ExportRow(model, f"optimizer states ({s.optimizer})", memory.optimizer_states, "bytes",
                  "Σ 2 · numel · bytes + 4 per trained tensor" if s.optimizer == "adamw" else "see the page"),
        ExportRow(model, f"activations ({activations})", memory.activations, "bytes", "saved for backward, each storage once"),
        ExportRow(model, "training total", memory.total, "bytes", "weights + gradients + optimizer states + activations"),
        ExportRow(model, f"the step's peak, at {memory.peak.at.where}", memory.peak.bytes, "bytes",
                  "weights + optimizer states + batch + the largest moment of forward, loss, backward and the update"),
        ExportRow(model, "one GPU", fit_headline(s, view), "verdict", "the smallest card with the step's peak + CUDA allowance ≤ its memory"),
    ]
    rows += [ExportRow(model, f"ZeRO stage {stage}, per GPU (N = {s.gpus})", zero_gpu_bytes(s, view, stage), "bytes",
                       f"{ZERO_FORMULAS[stage]} + F{'/N' if stage == 3 else ''}, at the step's peak") for stage in ZERO_STAGES]
    rows.append(ExportRow(model, f"{s.gpus} × {card.name}, ZeRO stage {s.zero}", zero_verdict(s, view), "verdict",
                          "per GPU + CUDA allowance ≤ the card's memory"))
    serving = view.serving
    rows += [
        ExportRow(model, "served, merged", serving.merged, "bytes", "all weights in the base's dtype"),
        ExportRow(model, "served, adapter separate", serving.separate, "bytes",
                  f"base + trainable · {ELEMENT_BYTES[serving.served_dtype]} (the adapter in {serving.served_dtype}, as PEFT loads it)"),
        ExportRow(model, f"adapter file ({s.save_dtype})", serving.adapter_file, "bytes", f"trainable · {ELEMENT_BYTES[s.save_dtype]}"),
        ExportRow(model, f"{serving.n_adapters} adapter files beside one base, stored", serving.shared_base, "bytes", "base + N · adapter file"),
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
        value = row.value if isinstance(row.value, str) else f"{row.value:,}" if isinstance(row.value, int) else f"{row.value:g}"
        lines.append(f"| {row.quantity} | {value} | {row.unit} | {row.formula} |")
    return "\n".join(lines).lstrip() + "\n"


# PEFT's LoraConfig switch for each variant (its own line of the snippet).
VARIANT_SWITCHES = {"lora": "", "rslora": "    use_rslora=True,  # scale by α/√r\n", "dora": "    use_dora=True,  # a magnitude per output row\n",
                    "pissa": '    init_lora_weights="pissa",  # start from W\'s top-r singular vectors\n'}


def lora_config_snippet(s: Settings) -> str:
    """Python that sets up the chosen method in PEFT: the LoraConfig for the rank, α and targets, and for QLoRA the
    bitsandbytes configuration its base is loaded with; '' for full fine-tuning, which has no adapter to configure."""
    if s.method == "full":
        return ""
    modules, parameters = peft_targets(model_spec(s), s.targets)
    targets = f'"{ALL_LINEAR}"' if modules == ALL_LINEAR else "[" + ", ".join(f'"{t}"' for t in modules) + "]"
    stacked = ("    # stacked experts are parameters, not modules: PEFT wraps each one (rank r per expert)\n"
               "    target_parameters=[" + ", ".join(f'"{p}"' for p in parameters) + "],\n") if parameters else ""
    task = "" if model_spec(s).family == "bert" else '\n    task_type="CAUSAL_LM",'
    alpha = int(s.alpha) if float(s.alpha).is_integer() else s.alpha
    lora = (
        "config = LoraConfig(\n"
        f"    r={s.r},\n"
        f"    lora_alpha={alpha},\n"
        f"    target_modules={targets},\n"
        f"{stacked}"
        f"    lora_dropout={s.lora_dropout:g},{task}\n"
        f"{VARIANT_SWITCHES[s.variant]}"
        ")\n"
    )
    if s.method != "qlora":
        return "from peft import LoraConfig\n\n" + lora
    prepare = ("model = prepare_model_for_kbit_training(model)  # fp32 norms and embeddings, gradient checkpointing\n"
               if qlora_prepared(s) else "")
    paper = ("\n# The QLoRA paper's qlora.py, after get_peft_model(model, config): adapters, embeddings and head in bf16,\n"
             "# norms in fp32 (from peft.tuners.lora import LoraLayer)\n"
             "for name, module in model.named_modules():\n"
             "    if isinstance(module, LoraLayer) or \"lm_head\" in name or \"embed_tokens\" in name:\n"
             "        module.to(torch.bfloat16)\n"
             "    if \"norm\" in name:\n"
             "        module.to(torch.float32)\n" if s.qlora_recipe == "paper" else "")
    return (
        "import torch\n"
        "from peft import LoraConfig, prepare_model_for_kbit_training\n"
        "from transformers import BitsAndBytesConfig\n\n"
        "# The base in NF4 with double quantisation, computing in bf16 (QLoRA): pass it to from_pretrained.\n"
        "quantization = BitsAndBytesConfig(\n"
        "    load_in_4bit=True,\n"
        '    bnb_4bit_quant_type="nf4",\n'
        "    bnb_4bit_use_double_quant=True,\n"
        "    bnb_4bit_compute_dtype=torch.bfloat16,\n"
        ")\n"
        + prepare + lora + paper
    )

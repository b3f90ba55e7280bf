"""The whole-model page's words and tables, computed from its numbers (the page only lays them out)."""

from __future__ import annotations

from dataclasses import replace

from ..numbers.memory import (
    ALLOWANCE_SOURCE,
    CARDS,
    GIB,
    CUDA_ALLOWANCE,
    NVIDIA_SMI,
    ZERO_FORMULAS,
    ZERO_STAGES,
    Card,
    card_by_key,
    card_room,
    fit_text,
    fit_verdict,
    format_bytes,
    recipe_text,
    zero_per_gpu,
)
from ..settings import SCHEMA, Settings, model_spec
from .activations import MEASURED_WITH, Activations, releases_dropout
from .budget import ModelCounts, TrainingBytes, model_counts, served_adapter_count, zero_parts, zero_peak_per_gpu
from .peak import DORA_MOMENT, StepPeak
from ..presets import ModelSpec, active_params
from .view import ModelView

METHOD_LABELS = SCHEMA["method"].names  # as the controls show them (settings.py)
OPTIMIZER_LABELS = SCHEMA["optimizer"].names


def peft_printout(counts: ModelCounts) -> str:
    """The line PEFT's print_trainable_parameters() prints."""
    return f"trainable params: {counts.trainable:,} || all params: {counts.all:,} || trainable%: {counts.trainable_percent:.4f}"


def trainable_formula(spec: ModelSpec, counts: ModelCounts, r: int, variant: str = "lora") -> str:
    """How the adapters' count is made: r·(in + out) per targeted layer (DoRA: + out, its magnitude), E adapters for a
    stack of experts, and all-linear's gate_up_proj at 2r."""
    if variant == "dora":  # PEFT refuses DoRA on stacked experts (settings.experts_take_plain_lora)
        return f"r·(in + out) + out (DoRA's magnitude) over every targeted layer, r = {r}"
    if not any(row.experts > 1 and row.targeted for row in counts.rows):
        return f"r·(in + out) over every targeted layer, r = {r}"
    joined = any(row.rank == 2 * r for row in counts.rows)
    return (f"r·(in + out) per targeted layer, {spec.experts} times for a stack of experts, r = {r}"
            + (f" ({2 * r} on gate_up_proj)" if joined else ""))


def variant_lines(s: Settings, view: ModelView) -> list[str]:
    """What the chosen LoRA variant changes in this model's numbers, and what the page does not price yet ([] for LoRA)."""
    if s.method == "full" or s.variant == "lora":
        return []
    if s.variant == "rslora":
        return ["rsLoRA (use_rslora=True) changes only the scaling, α/√r instead of α/r: the same parameters and the same "
                "memory as LoRA."]
    if s.variant == "pissa":
        return [f"PiSSA (init_lora_weights=\"pissa\") trains the same parameters with the same memory as LoRA; it only starts "
                f"from each targeted W's top-{s.r:,} singular vectors (one SVD per layer, once, at setup). Serving below: "
                f"PEFT's rank-{2 * s.r:,} conversion, to serve on the original base."]
    magnitudes = sum(row.out_features * row.copies for row in view.counts.rows if row.targeted)  # one per output row
    m = view.training[s.method]
    saved, peak = m.saved, m.peak
    at_dora = peak.at.where == DORA_MOMENT
    return [f"DoRA (use_dora=True) adds a magnitude vector to every targeted layer, one number per output: {magnitudes:,} "
            f"parameters here, counted above and trained like the factors (weights, gradients and optimizer states in the "
            f"memory below).",
            f"Its forward keeps more for backward: each targeted layer's base output and B's output (tokens × out each) "
            f"and three vectors of out, {format_bytes(saved.dora_kept)} over the layers, in the activations below. And "
            f"every step each target builds its dense ΔW, pushing an identity (in × in) through A and B, and takes the "
            f"row norms of W + ΔW: the widest target's temporaries are {format_bytes(saved.dora_work)}, alive while it "
            f"runs, which the step's peak includes" + (" — here they set it." if at_dora else ".")]


def block_caption(spec: ModelSpec) -> str:
    """What the drawing of one block shows, for this model's layout."""
    shapes = {
        "llama": ("q, k and v are one fused matrix (qkv_proj), narrower for k and v when there are fewer key/value heads; "
                  "the SwiGLU MLP has two (gate_up_proj, twice as wide, and down_proj)") if spec.fused else
                 (f"grouped-query attention narrows k and v when there are fewer key/value heads; the MLP is {spec.experts} "
                  f"experts behind a router (gate, {spec.experts} × {spec.hidden:,}): one expert's gate_up_proj and down_proj "
                  f"are drawn, and each is stacked {spec.experts} deep in one parameter") if spec.moe else
                 "grouped-query attention narrows k and v when there are fewer key/value heads; the "
                 + ("gated GELU MLP (GeGLU)" if spec.sandwich else "SwiGLU MLP") + " has three matrices",
        "gpt2": "q, k and v are one fused matrix (c_attn, three times as wide); the MLP has two",
        "opt": "q, k, v and out are four square matrices; the ReLU MLP has two (fc1, fc2)",
        "bert": "q, k, v and the output are four square matrices; the MLP has two",
    }[spec.family]
    return (f"Each rectangle is a weight matrix, out rows × in columns, all at the same scale: {shapes}. Targeted layers are "
            f"red, with their thin adapter strips (r wide) drawn to the same scale on the right and below. The block repeats "
            f"{spec.layers} times." + "".join(" " + note for note in layout_notes(spec)))


def layout_notes(spec: ModelSpec) -> list[str]:
    """Where a Llama-layout model departs from Llama-2's, and what each departure does to the counts."""
    notes = []
    if spec.head_size and spec.head_size != spec.hidden // spec.heads:
        notes.append(f"Its config sets head_dim to {spec.head_dim} (not {spec.hidden:,} ÷ {spec.heads} = {spec.hidden // spec.heads}), "
                     f"so q_proj is {spec.heads * spec.head_dim:,} wide and o_proj takes {spec.heads * spec.head_dim:,} in.")
    if spec.qkv_bias:
        notes.append("q, k and v have biases: base parameters, not LoRA's (LoRA adds none).")
    if spec.qk_norm:
        notes.append(f"Each head of q and of k is normed (q_norm, k_norm: {spec.head_dim} weights each per layer).")
    if spec.tied:
        notes.append("The output head is the token embedding (tied): one tensor, counted once, as PEFT counts it.")
    if spec.fused:
        notes.append("LoRA targets the fused matrices, one adapter each, and PEFT has no default targets for this layout "
                     "(qkv_proj here).")
    if spec.sandwich:
        notes.append(f"Gemma's block norms attention's and the MLP's inputs and outputs (four RMSNorms of {spec.hidden:,} "
                     f"per layer), its MLP is GELU-tanh, and the embedding is scaled by √{spec.hidden:,} = "
                     f"{spec.hidden ** 0.5:.1f}, a buffer: no parameter.")
    if spec.moe:
        notes.append("PEFT adapts a stacked parameter as E adapters of rank r (target_parameters: r·E·(in + out) for each). "
                     + ("all-linear adapts the router and the experts too, gate_up_proj at rank 2r: PEFT reads the target "
                        "names of transformers 4, where gate and up were separate layers, and joins their two adapters."
                        if spec.peft_maps_experts else
                        "all-linear reaches neither the router nor the experts here (PEFT maps transformers 4's names for "
                        "Mixtral and Qwen3-MoE, not for this class): only attention and the shared expert."))
    if spec.shared_expert:
        notes.append(f"Beside its experts every token runs through a shared expert ({spec.shared_expert:,} wide: "
                     "shared_expert.gate_proj, up_proj and down_proj), scaled by a sigmoid gate (shared_expert_gate, "
                     f"{spec.hidden:,} → 1).")
    return notes


def experts_lines(s: Settings, view: ModelView) -> list[str]:
    """A mixture of experts: the parameters a token runs through against those the model holds, and what that does
    to LoRA's saving and to its memory; nothing for a dense model."""
    spec, counts = view.spec, view.counts
    if not spec.moe:
        return []
    total, active = counts.base, active_params(spec)
    stacked = [row for row in counts.rows if row.experts > 1 and row.targeted]
    share = (f"the adapters here are {counts.trainable / total:.4%} of the total and {counts.trainable / active:.4%} of the "
             "active" + (" (counting every expert's adapter, though a token runs through "
                         f"{spec.experts_per_token} experts' only)" if stacked else ""))
    lines = [
        f"{spec.label} holds **{total:,}** parameters, but each token runs through **{active:,}** of them "
        f"({active / total:.1%}): the router sends it to {spec.experts_per_token} of the {spec.experts} experts in every block"
        + (", and every token runs through the shared expert too. " if spec.shared_expert else ". ") +
        "Memory follows the total (every expert is loaded, and given gradients and optimizer states when trained); "
        "compute follows the active.",
        f"So LoRA's saving looks different: full fine-tuning keeps gradients and AdamW states for all {total:,}, though a "
        f"token trains only {active:,}; {share}.",
    ]
    if stacked and s.method != "full":
        merged = sum(row.base_params // row.copies for row in stacked)
        lines.append(f"Adapting the experts costs memory of its own: every forward merges each adapted stack with its "
                     f"adapters (W + B·A, {merged:,} values a layer) and keeps the merged copy for backward, as big as "
                     f"the experts' weights themselves. Gradient checkpointing keeps it for one layer at a time.")
    if s.method == "qlora":
        lines.append("bitsandbytes quantises nn.Linear layers only: the stacked experts and the router stay 16-bit "
                     "(fp32 once prepare_model_for_kbit_training has cast them), so 4-bit saves little here.")
    return lines


def module_table(counts: ModelCounts) -> dict[str, list]:
    """One row per targetable layer: its name as PEFT targets it and how many the model has, its shape, and the base
    and LoRA parameters of all of them (a dash where LoRA does not target it). Three columns: six were cut off on a
    phone."""
    return {
        "module (out × in)": [f"{row.name} ×{row.copies}" + (f"×{row.experts} experts" if row.experts > 1 else "")
                              + f" ({row.out_features:,} × {row.in_features:,})" for row in counts.rows],
        "base params": [f"{row.base_params:,}" for row in counts.rows],
        "LoRA params": [f"{row.lora_params:,}" if row.targeted else "—" for row in counts.rows],
    }


def activation_rows(a: Activations) -> list[tuple[str, int]]:
    """The activations' parts: outside the layers, the first layer and the rest; with checkpointing, what the forward
    keeps outside the checkpoints, the checkpoints' inputs, and the one layer backward recomputes at a time."""
    if a.checkpointing:
        return [("· outside the checkpoints", a.outside_bytes),
                (f"· {a.layers:,} checkpoints (layer inputs)", a.checkpoints),
                ("· one layer, recomputed in backward", a.layer)]
    rows = [("· outside the layers", a.outside_bytes), ("· first layer", a.first_layer)]
    return rows + [(f"· {a.layers - 1:,} more layers", (a.layers - 1) * a.layer)] if a.layers > 1 else rows


def memory_parts(m: TrainingBytes) -> dict[str, list[str]]:
    """One method's training memory, part by part, as a table of text: the size, then the exact bytes in a column
    of their own (in one cell the two wrapped over three lines in the page's narrow column)."""
    rows = [("Weights", m.weights), ("Gradients", m.gradients), ("Optimizer states", m.optimizer_states),
            ("Weights, gradients and states", m.exact), ("Activations (saved for backward)", m.activations),
            *activation_rows(m.saved), ("Sum (not all alive at once)", m.total), ("**Peak of one step**", m.peak.bytes)]
    return {
        "": [name for name, _ in rows],
        "size": [format_bytes(v) for _, v in rows],
        "bytes": [f"{v:,}" for _, v in rows],
    }


def lora_dropout_text(s: Settings) -> str:
    """', LoRA dropout 0.05' when the chosen method has an adapter whose input is dropped out; else ''."""
    return f", LoRA dropout {s.lora_dropout:g}" if s.method != "full" and s.lora_dropout > 0 else ""


def batch_recipe_text(s: Settings) -> str:
    """The batch's recipe in words, for the line that names it: LoRA's dropout, the model's own when turned off, and
    whether the batch is padded."""
    off = not s.model_dropout and releases_dropout(model_spec(s).family)
    return lora_dropout_text(s) + (", the model's own dropout off" if off else "") + (", padded" if s.padded else "")


def training_headline(s: Settings) -> str:
    """The recipe the training-memory table assumes, in one line."""
    return (f"**{METHOD_LABELS[s.method]}** with {OPTIMIZER_LABELS[s.optimizer]}, batch {s.batch}, sequence {s.seq:,}"
            + batch_recipe_text(s))


def activation_note(s: Settings, view: ModelView) -> str:
    """What the activations are, which recipe they assume, and what they leave out."""
    a = view.training[s.method].saved
    outside = "; ".join(f"{part.what} {format_bytes(part.bytes)}" for part in a.outside)
    kernel = {"sdpa": "SDPA attention (transformers' default: the seq×seq scores are never kept)",
              "eager": "eager attention (the seq×seq scores, their softmax and its dropout mask are kept)"}[s.attention]
    checkpointing = (" With gradient checkpointing, transformers wraps each decoder layer: the forward keeps only what lies "
                     "outside the layers and each layer's input, and backward recomputes one layer at a time, which is "
                     "held until its gradients are through." if a.checkpointing else "")
    dropout = (f" With LoRA dropout {s.lora_dropout:g}, each adapted layer drops out its own copy of its input, which its "
               "A keeps, and the dropout keeps its mask." if lora_dropout_text(s) else "")
    return (
        f"Activations are the tensors PyTorch keeps for backward in one training step ({MEASURED_WITH}, {kernel}, batch "
        f"{s.batch:,}, sequence {s.seq:,}), each storage once: derived operation by operation for this family, method "
        f"and precision, and equal to the byte to what one forward pass of small random-weight models saves "
        f"(tools/measure_activations.py). Outside the layers: {outside}.{checkpointing}{dropout} They describe CUDA's kernels: "
        "a dropout keeps a 1-byte mask, LayerNorm its statistics in fp32, and SDPA's attention dropout only a random seed. Left out here: "
        "what is alive only for a moment (the loss's gradients, backward's temporaries, the optimizer's update), which "
        "the step's peak adds, and the CUDA context and allocator fragmentation (the allowance below). Under mixed precision CUDA's autocast also runs LayerNorm and pow in fp32; "
        "the GPT-2, OPT and BERT numbers follow the measured kernels there."
    )


def dtype_note(s: Settings, view: ModelView) -> str:
    """Which dtypes and which recipe the memory uses."""
    applies = "" if s.precision == "plain" else " (full fine-tuning's weights; LoRA's and QLoRA's adapters)"  # plain names both
    note = (
        f"Recipe: {recipe_text(view.dtype, s.precision)}{applies}. "
        f"The frozen base is in {view.dtype}; QLoRA stores the linear weights in NF4 with double quantisation "
        "(4.127 bits each) and the rest "
        + ("as the QLoRA paper's qlora.py leaves them after prepare_model_for_kbit_training (gradient checkpointing on): "
           "norms in fp32, embeddings and head cast back to bf16, and its adapters in bf16 too, with bf16 gradients, "
           "trained under bf16 autocast whatever the sidebar's precision (the bf16 head cannot read fp32 without it)."
           if s.qlora_recipe == "paper" else
           "in fp32, with gradient checkpointing on, as PEFT's prepare_model_for_kbit_training leaves them."
           if s.prepared else "in bf16, as loaded (before PEFT's prepare_model_for_kbit_training).")
    )
    if view.dtype != s.dtype:
        note += f" The sidebar's dtype {s.dtype} is a storage format, not a training dtype: full fine-tuning and LoRA use bf16 here."
    return note


def serving_lines(s: Settings, view: ModelView) -> list[str]:
    """Serving in words: merged, separate, the adapter file, and N adapters on one base."""
    v = view.serving
    # Decimal gigabytes beside binary: papers and cards use GB (the LoRA paper's "350 GB" base is 349.2 GB, 325.2 GiB).
    merged = (f"Merged: {format_bytes(v.merged)} ({v.merged / 1e9:,.1f} GB) — merging a QLoRA adapter dequantises the NF4 base to bf16 and adds ΔW, "
              "so the merged model is a 16-bit model (quantise it again to serve it in 4 bits)."
              if s.method == "qlora" else f"Merged: {format_bytes(v.merged)} ({v.merged / 1e9:,.1f} GB) — the base's size, no extra compute.")
    base = "the 4-bit base as loaded" if s.method == "qlora" else f"the base in {view.dtype}"
    return [
        merged,
        f"Adapter kept separate: {format_bytes(v.separate)} in memory ({base} + the adapter, {format_bytes(v.adapter_served)} "
        f"in {v.served_dtype}: PEFT's `PeftModel.from_pretrained` loads an adapter as {v.served_dtype} whatever its file's dtype, "
        "unless given `autocast_adapter_dtype=False` (then, on a 16-bit base, in the base's dtype)).",
        f"The adapter file: about {format_bytes(v.adapter_file)} ({v.adapter_file:,} B of {s.save_dtype} weights plus a small header).",
        f"{v.n_adapters:,} adapter files beside one base: {format_bytes(v.shared_base)} stored, against {format_bytes(v.merged_copies)} for "
        f"{v.n_adapters:,} merged copies (the LoRA paper's example: 350 GB + 35 MB × 100 ≈ 354 GB instead of 35 TB).",
        *([pissa_serving_line(s, view)] if s.variant == "pissa" and s.method != "full" else []),
    ]


def pissa_serving_line(s: Settings, view: ModelView) -> str:
    """What PiSSA's adapter becomes to serve on the original base, the numbers above being that conversion's."""
    trained = view.counts.trainable
    served = served_adapter_count(view.spec, s.r, s.targets, s.variant)
    return (f"PiSSA: the adapter above is PEFT's conversion for the original base, a plain LoRA of rank 2r = {2 * s.r:,} "
            f"({served:,} parameters, twice the {trained:,} trained): PiSSA trained on a residual base, W minus its top-"
            f"{s.r:,} singular part, and the conversion folds that part back into the adapter. Served on its own residual "
            "base instead, the adapter keeps rank r, but that base is a model of its own to ship.")


PEAK_ALIVE = "alive besides weights, states and batch"


def peak_rows(m: TrainingBytes) -> dict[str, list[str]]:
    """The step's moments as a table: where, what is alive then besides the weights, states and batch, and the total;
    the peak's row in bold."""
    peak = m.peak
    rows = {"moment of the step": [], "total": [], PEAK_ALIVE: []}
    for moment in peak.moments:
        bold = "**" if moment is peak.at else ""
        rows["moment of the step"].append(f"{bold}{moment.where[:1].upper() + moment.where[1:]}{bold}")
        rows[PEAK_ALIVE].append(
            "; ".join(f"{part.what} {format_bytes(part.bytes)}" for part in moment.parts if part.bytes) or "nothing")
        rows["total"].append(f"{bold}{format_bytes(peak.persistent + moment.bytes)}{bold}")
    return rows


def peak_note(s: Settings) -> str:
    """What the step's peak assumes and how it was checked."""
    update = {"adamw": "AdamW's foreach update (CUDA's default) holds one temporary the size of everything trained",
              "sgd": "SGD without momentum updates in place", "adamw8bit": "8-bit AdamW updates in place, one kernel per tensor",
              "paged_adamw": "paged AdamW updates in place, one kernel per tensor"}[s.optimizer]
    return (
        "The step's peak follows one training step as trainers run it after the first (forward, loss, backward, "
        "optimizer step, gradients set to None): weights, optimizer states and the batch live throughout, and the peak "
        "is the largest of the moments in the table. The loss adds two fp32 gradients the size of the logits "
        f"(8 bytes per token per vocabulary word); {update}; each layer's backward adds its working set of gradients. "
        "Derived like the activations, and within 2% of the peak torch.profiler saw in 171 of 172 real training steps on a "
        "CPU (tools/measure_peak.py; 44 of them at a size no rule was read from); the layers' working sets are "
        "measured rules. Not measured: QLoRA's one bf16 copy of the widest 4-bit weight while it multiplies (bitsandbytes' "
        "CUDA kernel, from its source), and CUDA's caching allocator, which rounds each block up to 512 bytes and keeps "
        "freed blocks reserved (part of the allowance below)."
    )


def peak_line(m: TrainingBytes) -> str:
    """'The step peaks at the start of backward, the loss's gradient: 14.3 GiB = weights … + …'."""
    peak = m.peak
    parts = [("weights", m.weights), ("optimizer states", m.optimizer_states), ("the batch's ids and labels", peak.batch),
             *((part.what, part.bytes) for part in peak.at.parts if part.bytes)]
    return (f"The step peaks at {peak.at.where}: **{format_bytes(peak.bytes)}** = "
            + " + ".join(f"{what} {format_bytes(size)}" for what, size in parts) + ".")


def fit_headline(s: Settings, view: ModelView) -> str:
    """Whether the chosen method's step peak fits a card: 'Fits an RTX 4090 24 GB: 9.1 of 23.99 GiB'."""
    return fit_text(fit_verdict(view.training[s.method].peak.bytes))


def fit_note(s: Settings, view: ModelView) -> str:
    """What the fit verdict adds up, and which parts are estimates."""
    chosen = view.training[s.method]
    return (
        f"The verdicts follow the step's peak ({format_bytes(chosen.peak.bytes)} for {METHOD_LABELS[s.method]}, at "
        f"{chosen.peak.at.where}), not the sum of the parts, plus {format_bytes(CUDA_ALLOWANCE)} "
        f"set aside for the CUDA context and allocator ({ALLOWANCE_SOURCE}). Each card's memory is {NVIDIA_SMI}: binary, "
        "so a \u201c24 GB\u201d RTX 4090 has 24,564 MiB (23.99 GiB); the dotted line on the chart is the chosen card less "
        "that allowance."
        + (" Paged AdamW's states are counted on the card, where they live until memory runs short: bitsandbytes then pages "
           "them to the host's memory, so a run a little past the card may still train, more slowly."
           if s.optimizer == "paged_adamw" else "")
    )


def with_checkpointing(chosen: TrainingBytes, on: bool) -> StepPeak:
    """The chosen recipe's step peak with gradient checkpointing on or off."""
    return replace(chosen, saved=replace(chosen.saved, checkpointing=on)).peak


def card_table(chosen: TrainingBytes) -> dict[str, list[str]]:
    """Every card, with gradient checkpointing on and off: room to spare or how much is missing (the step's peak plus
    the CUDA allowance against the card's memory)."""
    def verdict(peak: int, card: Card) -> str:
        room = card_room(peak, card)
        return f"fits, {room / GIB:.1f} GiB to spare" if room >= 0 else f"no, {-room / GIB:.1f} GiB short"

    on, off = (with_checkpointing(chosen, True).bytes, with_checkpointing(chosen, False).bytes)
    return {
        "card": [f"{card.name} ({card.bytes / GIB:.2f} GiB)" for card in CARDS],
        f"with checkpointing (peak {format_bytes(on)})": [verdict(on, card) for card in CARDS],
        f"without (peak {format_bytes(off)})": [verdict(off, card) for card in CARDS],
    }


def checkpointing_alternative(chosen: TrainingBytes) -> str:
    """The same training with gradient checkpointing the other way, and whether its peak fits."""
    flipped = with_checkpointing(chosen, not chosen.saved.checkpointing)
    way = "off" if chosen.saved.checkpointing else "on"
    return (f"With gradient checkpointing {way}: {_lower_first(fit_text(fit_verdict(flipped.bytes)))} "
            f"(a peak of {format_bytes(flipped.bytes)} at {flipped.at.where}, instead of {format_bytes(chosen.peak.bytes)}).")


def zero_table(s: Settings, view: ModelView) -> dict[str, list[str]]:
    """Per-GPU bytes on N data-parallel GPUs at each ZeRO stage, from the chosen recipe's own bytes, with each GPU's
    activations (of its own batch), and whether that fits the chosen card."""
    card = card_by_key(s.card)
    per_gpu = [zero_gpu_bytes(s, view, stage) for stage in ZERO_STAGES]
    fits = [card_room(tensors, card) for tensors in per_gpu]
    return {
        "ZeRO stage": [f"**{stage}**" if stage == s.zero else str(stage) for stage in ZERO_STAGES],
        "per GPU": [f"{ZERO_FORMULAS[stage]} + F{'/N' if stage == 3 else ''}, at the step's peak" for stage in ZERO_STAGES],
        f"peak per GPU, N = {s.gpus:,}": [format_bytes(b) for b in per_gpu],
        card.name: [f"fits, {room / GIB:.1f} GiB to spare" if room >= 0 else f"no, {-room / GIB:.1f} GiB short" for room in fits],
    }


def zero_gpu_bytes(s: Settings, view: ModelView, stage: int) -> int:
    """One GPU's step peak at a ZeRO stage, for the chosen method (budget.zero_peak_per_gpu)."""
    return zero_peak_per_gpu(view.training[s.method], s.gpus, stage)


def zero_verdict(s: Settings, view: ModelView) -> str:
    """'Fits on 8 × A100 80 GB at ZeRO stage 2: 21.3 of 80.00 GiB per GPU', or how much each GPU lacks."""
    card = card_by_key(s.card)
    needed = zero_gpu_bytes(s, view, s.zero) + CUDA_ALLOWANCE
    where = f"{s.gpus:,} × {card.name} at ZeRO stage {s.zero}"
    if needed <= card.bytes:
        return f"Fits on {where}: {needed / GIB:.1f} of {card.bytes / GIB:.2f} GiB per GPU"
    return f"Does not fit on {where}: {needed / GIB:.1f} GiB per GPU against {card.bytes / GIB:.2f} GiB"


def zero_note(s: Settings, view: ModelView) -> str:
    """What the ZeRO table assumes."""
    parts = zero_parts(view.training[s.method])
    frozen = f", F the frozen base ({format_bytes(parts.frozen)}, whole on every GPU below stage 3)" if parts.frozen else ""
    return (
        "ZeRO (Rajbhandari et al. 2020, §5) splits the chosen recipe's bytes across N data-parallel GPUs: stage 1 the "
        f"optimizer states S ({format_bytes(parts.states)}), stage 2 the gradients G ({format_bytes(parts.gradients)}) too, "
        f"stage 3 the trained weights W ({format_bytes(parts.weights)}) as well{frozen}. Each GPU also runs its own "
        f"batch of {s.batch:,}, so each GPU's step peaks as one GPU's does (at {view.training[s.method].peak.at.where}: "
        "activations, the loss's and the layers' temporaries), with the gradients G counted only at the moments they are "
        "alive, split from stage 2, and the update's temporaries split from stage 1 (each GPU updates its shard); "
        "the CUDA allowance is added. The paper's own recipe, mixed precision with Adam (W = 2Ψ, G = 2Ψ, S = 12Ψ), gives its formulas "
        "(2 + 2 + 12)Ψ, (2 + 2 + 12/N)Ψ, (2 + 14/N)Ψ and 16Ψ/N. Communication buffers are not counted."
    )


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]

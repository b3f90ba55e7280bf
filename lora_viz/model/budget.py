"""Counts and memory for a whole model: LoRA on chosen target modules, full fine-tuning, QLoRA.

Counts follow PEFT: each targeted layer gets lora_A (r × in) and lora_B (out × r), no bias, so r·(in + out)
trainable parameters; get_nb_trainable_parameters() reports (trainable, base + trainable).
Memory follows what PyTorch allocates: AdamW keeps exp_avg and exp_avg_sq like each trained tensor plus
a 4-byte fp32 `step` tensor per trained tensor; SGD without momentum keeps nothing."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

from ..names import FLOAT_DTYPES
from ..numbers.counts import ParamCounts
from ..numbers.memory import ELEMENT_BYTES, FP32_BYTES, adamw_state_bytes, adapter_dtype, tensor_bytes, trained_dtype, zero_per_gpu
from ..presets import (
    ALL_LINEAR,
    MATRIX,
    ModelSpec,
    base_tensors,
    linear_layers,
    adapter_ranks,
    one_matrix,
    resolve_targets,
    total_params,
)
from .activations import CAUSAL, Activations, saved_for_backward
from .peak import GRADIENTS, SAVED, TEMPORARY, UPDATE, StepCosts, StepPeak, step_peak, transient_per_gpu, update_temporaries

QLORA_DTYPE = "nf4-dq"  # NF4 with double quantisation (QLoRA's default)


QLORA_OTHER = "bf16"  # embeddings, norms, biases, output head
BNB_MIN_8BIT = 4096  # bitsandbytes keeps 32-bit states for tensors smaller than this


BNB_BLOCK = 256  # one fp32 absmax per 256 values per 8-bit state
BNB_QMAPS = 2 * 256 * 4  # 8-bit AdamW's two fp32 quantisation maps, shared by all tensors



# bitsandbytes keeps per NF4 tensor: the 16-value NF4 code, an fp32 offset and the 256-value code of the
# second-level (double) quantisation, all fp32 and not shared between tensors.
NF4_TENSOR_TABLES = (16 + 1 + 256) * 4


@dataclass(frozen=True)
class ModuleRow:
    """One targetable layer: its shape, how many the model has, and what LoRA adds to them."""

    path: str
    in_features: int
    out_features: int
    copies: int
    targeted: bool
    base_params: int  # weight and bias, all copies
    lora_params: int  # rank·experts·(in + out), all copies, 0 when not targeted
    experts: int = 1  # weights stacked in one parameter (a mixture of experts)
    rank: int = 0  # LoRA's rank on it, 0 when not targeted
    name: str = ""  # what a PEFT target name matches (presets.Linear.name)


@dataclass(frozen=True)
class ModelCounts:
    """What PEFT prints: trainable, all (= base + trainable), and the frozen base."""

    trainable: int
    base: int
    rows: tuple[ModuleRow, ...]

    @property
    def all(self) -> int:
        return self.base + self.trainable

    @property
    def trainable_percent(self) -> float:
        return 100.0 * self.trainable / self.all


def model_counts(spec: ModelSpec, r: int, targets: tuple[str, ...], variant: str = "lora") -> ModelCounts:
    """LoRA's trainable parameters for rank r on the targets (DoRA: and a magnitude of out_features per targeted
    layer), and the model's base count."""
    ranks = adapter_ranks(spec, r, targets)
    magnitude = variant == "dora"
    rows = tuple(
        ModuleRow(
            path=layer.path,
            in_features=layer.in_features,
            out_features=layer.out_features,
            copies=layer.copies,
            targeted=layer.name in ranks,
            base_params=(layer.weight_numel + (layer.out_features if layer.bias else 0)) * layer.copies,
            lora_params=(layer.lora_numel(ranks[layer.name]) + magnitude * layer.out_features) * layer.copies if layer.name in ranks else 0,
            experts=layer.experts,
            rank=ranks.get(layer.name, 0),
            name=layer.name,
        )
        for layer in linear_layers(spec)
    )
    return ModelCounts(trainable=sum(row.lora_params for row in rows), base=total_params(spec), rows=rows)


@dataclass(frozen=True)
class TrainingBytes:
    """Training memory: weights, gradients, optimizer states, and the activations saved for backward (in parts)."""

    weights: int
    gradients: int
    optimizer_states: int
    saved: Activations
    costs: StepCosts  # what the step allocates besides

    @cached_property  # a page asks for it a dozen times a run; a frozen dataclass keeps it in its __dict__
    def peak(self) -> StepPeak:
        """The step's peak, what the fit verdicts follow (peak.step_peak)."""
        return step_peak(self.weights, self.gradients, self.optimizer_states, self.saved, self.costs)

    @property
    def activations(self) -> int:
        return self.saved.total

    @property
    def exact(self) -> int:
        return self.weights + self.gradients + self.optimizer_states

    @property
    def total(self) -> int:
        return self.exact + self.activations


def alive_at_peak(m: TrainingBytes) -> dict[str, int]:
    """What is alive at a recipe's step peak, in five parts that add up to it: weights, optimizer states, the
    gradients and the saved activations alive then, and the moment's temporaries with the batch."""
    at = m.peak.at
    return {"weights": m.weights, "gradients": at.of_kind(GRADIENTS), "optimizer states": m.optimizer_states,
            "activations": at.of_kind(SAVED), "temporaries": at.of_kind(TEMPORARY) + at.of_kind(UPDATE) + m.peak.batch}


def optimizer_bytes(trained: list[tuple[int, int]], optimizer: str, element_bytes: int) -> int:
    """State bytes for trained tensors given as (numel, copies).

    adamw: exp_avg and exp_avg_sq in the tensor's dtype plus a 4-byte fp32 step per tensor (PyTorch; the rule
    the matrices page uses too, numbers.memory.adamw_state_bytes).
    sgd: none (no momentum). adamw8bit: bitsandbytes' two uint8 states with one fp32 absmax per 256 values,
    32-bit states for tensors under 4096 values, and two shared 256-value fp32 quantisation maps. paged_adamw:
    bitsandbytes' paged 32-bit AdamW, two fp32 states whatever the tensor's dtype and its step a Python number.
    """
    if optimizer == "sgd":
        return 0
    if optimizer == "adamw":
        return sum(adamw_state_bytes(numel, element_bytes) * copies for numel, copies in trained)
    if optimizer == "paged_adamw":
        return sum(2 * FP32_BYTES * numel * copies for numel, copies in trained)
    if optimizer == "adamw8bit":
        total = BNB_QMAPS
        for numel, copies in trained:
            if numel < BNB_MIN_8BIT:
                total += 2 * 4 * numel * copies
            else:
                total += 2 * (numel + 4 * math.ceil(numel / BNB_BLOCK)) * copies
        return total
    raise ValueError(f"unknown optimizer {optimizer!r}")


def _adapter_tensors(spec: ModelSpec, r: int, targets: tuple[str, ...], variant: str = "lora") -> list[tuple[int, int]]:
    """(numel, copies) of every lora_A and lora_B tensor, and DoRA's magnitude vectors (out_features each)."""
    ranks = adapter_ranks(spec, r, targets)
    tensors = []
    for layer in linear_layers(spec):
        if layer.name in ranks:
            rows = ranks[layer.name] * layer.experts
            tensors += [(rows * layer.in_features, layer.copies), (layer.out_features * rows, layer.copies)]
            if variant == "dora":
                tensors.append((layer.out_features, layer.copies))
    return tensors


def dequantised_weight(spec: ModelSpec) -> int:
    """QLoRA's temporary: bitsandbytes' matmul_4bit dequantises the 4-bit weight to a 16-bit copy (bf16) for each
    product in forward and in backward (bitsandbytes/autograd/_functions.py), so the widest weight's copy is alive
    at a layer's peak."""
    return max(t.numel for t in base_tensors(spec) if t.kind == "linear") * ELEMENT_BYTES[QLORA_OTHER]


def base_weight_bytes(spec: ModelSpec, method: str, dtype: str, prepared: bool = False, qlora_recipe: str = "peft") -> int:
    """The base model's bytes: all in dtype, or for QLoRA the nn.Linear weights in NF4 (with their tables; bitsandbytes
    replaces nn.Linear modules only, so a mixture of experts' stacked experts and its router are not quantised) and the rest
    in bf16 as loaded, or in fp32 once prepare_model_for_kbit_training has cast them (`prepared`), or, in the QLoRA
    paper's recipe, the embeddings and the head cast back to bf16 and the norms (and biases) kept in fp32."""
    if method != "qlora":
        return sum(tensor_bytes(t.numel, dtype) * t.copies for t in base_tensors(spec))
    total = 0
    for t in base_tensors(spec):
        if t.kind == "linear":
            total += (tensor_bytes(t.numel, QLORA_DTYPE) + NF4_TENSOR_TABLES) * t.copies
        elif qlora_recipe == "paper":
            total += t.total * ELEMENT_BYTES[QLORA_OTHER if t.kind in ("embedding", "head") else "fp32"]
        else:
            total += t.total * ELEMENT_BYTES["fp32" if prepared else QLORA_OTHER]
    return total


def training_bytes(
    spec: ModelSpec, r: int, targets: tuple[str, ...], method: str, dtype: str, optimizer: str,
    batch: int, seq: int, checkpointing: bool, precision: str = "mixed", prepared: bool = False, attention: str = "sdpa",
    rules: str = "cuda", lora_dropout: float = 0.0, model_dropout: bool = True, padded: bool = False, qlora_recipe: str = "peft",
    foreach: bool | None = None, variant: str = "lora",
) -> TrainingBytes:
    """Weights, gradients and optimizer states as PyTorch allocates them, and the activations it saves for backward.

    What is trained (every weight, or the adapters) is kept with its gradient and states in
    trained_dtype(method, dtype, precision): fp32 under mixed precision, the compute dtype under pure; frozen weights
    stay in dtype. A lone matrix (presets.one_matrix) keeps no activations here: the matrices page leaves them out.
    QLoRA `prepared` as PEFT's prepare_model_for_kbit_training leaves it: its other weights in fp32, and gradient
    checkpointing on. rules: whose kernels save the activations, "cuda" (the page's) or "cpu" (what the golden
    measurements on a CPU saw, so anyone can check a number on their own machine). lora_dropout: PEFT's; above 0
    each target keeps its own dropped copy of its input and the dropout's mask. model_dropout: the model's own
    dropout as its configuration releases it (GPT-2, OPT and BERT 0.1), or off. padded: the batch is padded to its
    longest sequence, with an attention mask. qlora_recipe: "peft", or "paper", the QLoRA paper's qlora.py, which
    prepares the model (checkpointing on), then casts the adapters, the embeddings and the head to bf16. foreach:
    AdamW's implementation, by default the rules' own (CUDA: foreach; the CPU: a loop over tensors). variant: PEFT's
    LoRA variant; DoRA's magnitude vectors are trained like the factors, and its targets keep more for backward
    (activations._Ledger.dora).
    """
    qlora_recipe = qlora_recipe if method == "qlora" else "peft"
    prepared = (prepared or qlora_recipe == "paper") and method == "qlora"
    activations = NOTHING_SAVED if spec.family == "matrix" else saved_for_backward(
        spec, r, targets, method, dtype, precision, attention, batch, seq, checkpointing or prepared, prepared,
        device=rules, lora_dropout=lora_dropout, model_dropout=model_dropout, padded=padded, qlora_recipe=qlora_recipe,
        variant=variant)
    size = ELEMENT_BYTES[trained_dtype(method, dtype, precision, qlora_recipe)]
    if method == "full":
        trained = [(t.numel, t.copies) for t in base_tensors(spec)]
        weights = total_params(spec) * size
        gradients = weights
        head_gradient = spec.vocab * spec.hidden * size if spec.family in CAUSAL else 0  # BERT has no head
        tied_gradient = 0 if any(t.kind == "head" for t in base_tensors(spec)) else head_gradient
    else:
        trained = _adapter_tensors(spec, r, targets, variant)
        gradients = sum(numel * copies for numel, copies in trained) * size
        weights = base_weight_bytes(spec, method, dtype, prepared, qlora_recipe) + gradients  # adapters kept like their gradients
        head_gradient = tied_gradient = 0
    states = optimizer_bytes(trained, optimizer, size)
    costs = StepCosts(batch * seq if spec.family != "matrix" else 0,
                      update_temporaries(trained, optimizer, size, rules == "cuda" if foreach is None else foreach),
                      head_gradient, tied_gradient, dequantised_weight(spec) if method == "qlora" else 0)
    return TrainingBytes(weights, gradients, states, activations, costs)


NOTHING_SAVED = Activations(outside=(), first_layer=0, layer=0, layers=1, checkpoint_input=0, first_checkpoint_input=0,
                            checkpointing=False)


@dataclass(frozen=True)
class MatrixMemory:
    """Training and serving bytes for one matrix W (d×k) and its rank-r adapter: full fine-tuning vs LoRA."""

    dtype: str
    full: TrainingBytes | None  # None: quantised weights cannot be trained directly
    lora: TrainingBytes
    frozen_bytes: int  # W in its dtype
    adapter_dtype: str  # A and B: fp32 under mixed precision, the compute dtype under pure
    adapter_bytes: int
    served_separate: int  # W + A + B
    served_merged: int  # W′ = W + A×B, same size as W


def matrix_memory(counts: ParamCounts, dtype: str, precision: str = "mixed") -> MatrixMemory:
    """Memory for W (d×k) stored in dtype and its rank-r adapter, trained with AdamW: W priced as a model of one
    linear layer (presets.one_matrix), by the whole model's rules (training_bytes), activations left out."""
    spec = one_matrix(counts.d, counts.k)

    def priced(method: str) -> TrainingBytes:
        return training_bytes(spec, counts.r, (MATRIX,), method, dtype, "adamw", 1, 1, False, precision,
                              variant="dora" if counts.magnitude else "lora")

    lora = priced("lora")
    w = base_weight_bytes(spec, "lora", dtype)
    adapter = lora.gradients  # A and B (and DoRA's m), kept like their gradients
    return MatrixMemory(
        dtype=dtype,
        full=priced("full") if dtype in FLOAT_DTYPES else None,
        lora=lora,
        frozen_bytes=w,
        adapter_dtype=trained_dtype("lora", dtype, precision),
        adapter_bytes=adapter,
        served_separate=w + adapter,
        served_merged=tensor_bytes(counts.served_merged, dtype),
    )


@dataclass(frozen=True)
class ZeroParts:
    """A recipe's bytes as ZeRO partitions them: trained weights W, their gradients G and optimizer states S, and
    the frozen base F (0 for full fine-tuning)."""

    weights: int
    gradients: int
    states: int
    frozen: int


def zero_parts(memory: TrainingBytes) -> ZeroParts:
    """W, G, S and F of a method's training memory: what is trained is kept like its gradients (same elements, same
    dtype), and the rest of the weights is the frozen base."""
    return ZeroParts(memory.gradients, memory.gradients, memory.optimizer_states, memory.weights - memory.gradients)


def zero_peak_per_gpu(memory: TrainingBytes, gpus: int, stage: int) -> int:
    """One GPU's step peak at a ZeRO stage: the recipe's trained weights W, states S and frozen base F as the stage
    splits them over the GPUs, its own batch, and its step's largest moment, with the gradients alive then split from
    stage 2 and the update's temporaries from stage 1 (peak.transient_per_gpu). Gradients are counted only at the
    moments they are alive (zero_grad frees them), so stage 0 is one GPU's peak."""
    parts = zero_parts(memory)
    peak = memory.peak
    return zero_per_gpu(parts.weights, 0, parts.states, parts.frozen, gpus, stage) + peak.batch + transient_per_gpu(peak, gpus, stage)


@dataclass(frozen=True)
class ServingBytes:
    """Serving: merged, adapter kept separate, and N adapter files beside one base vs N merged copies."""

    merged: int
    separate: int  # in memory: the base + the adapter as PEFT's loader keeps it (adapter_dtype "served")
    adapter_served: int  # the adapter in memory while serving
    adapter_file: int  # the adapter's weights in the dtype it is saved in (plus a small header on disk)
    served_dtype: str
    n_adapters: int
    shared_base: int  # stored: base + N adapter files
    merged_copies: int  # stored: N merged models


def served_adapter_count(spec: ModelSpec, r: int, targets: tuple[str, ...], variant: str = "lora") -> int:
    """The parameters of the adapter served beside the original base: the trained count, or PiSSA's rank-2r
    conversion's (a plain LoRA)."""
    if variant == "pissa":
        return model_counts(spec, 2 * r, targets).trainable
    return model_counts(spec, r, targets, variant).trainable


def serving_bytes(spec: ModelSpec, r: int, targets: tuple[str, ...], dtype: str, n_adapters: int, save_dtype: str,
                  method: str, variant: str = "lora") -> ServingBytes:
    """The base in dtype (QLoRA: its 4-bit base as loaded), the adapter served and saved as adapter_dtype says.
    Merging a QLoRA adapter means dequantising the NF4 base to 16 bits (bf16) and adding ΔW: a 16-bit model.
    PiSSA's adapter is served on the original base as PEFT converts it (save_pretrained with
    path_initial_model_for_weight_conversion): a plain LoRA of rank 2r, its starting factors folded in."""
    base = base_weight_bytes(spec, method, dtype)
    merged = total_params(spec) * ELEMENT_BYTES[QLORA_OTHER if method == "qlora" else dtype]
    trainable = served_adapter_count(spec, r, targets, variant)
    served_dtype = adapter_dtype("served", save_dtype)
    served = trainable * ELEMENT_BYTES[served_dtype]
    adapter_file = trainable * ELEMENT_BYTES[adapter_dtype("saved", save_dtype)]
    return ServingBytes(
        merged=merged,
        separate=base + served,
        adapter_served=served,
        adapter_file=adapter_file,
        served_dtype=served_dtype,
        n_adapters=n_adapters,
        shared_base=base + n_adapters * adapter_file,
        merged_copies=n_adapters * merged,
    )

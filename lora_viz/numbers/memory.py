"""Bytes for one weight matrix: storage per dtype, training memory (AdamW) and serving memory."""

from __future__ import annotations

from dataclasses import dataclass

from ..names import FLOAT_DTYPES, float_dtype
from .counts import ParamCounts

# Whole bytes per element for the plain dtypes.
ELEMENT_BYTES = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1}
DTYPE_LABELS = {
    "fp32": "fp32 (4 bytes)",
    "fp16": "fp16 (2 bytes)",
    "bf16": "bf16 (2 bytes)",
    "int8": "int8 (1 byte)",
    "nf4": "NF4 (4.5 bits with constants)",
    "nf4-dq": "NF4 + double quant (4.127 bits)",
}


STEP_BYTES = 4  # PyTorch's AdamW keeps a 0-d fp32 `step` tensor for every parameter tensor it trains
COMPUTE_FALLBACK = "bf16"  # what int8 and NF4 weights are dequantised to for compute (bitsandbytes, QLoRA)


NF4_BLOCK = 64  # weights per absmax constant (QLoRA, Dettmers et al. 2023)
NF4_DQ_BLOCK = 256  # 8-bit constants per fp32 second-level constant


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def tensor_bytes(n: int, dtype: str) -> int:
    """Bytes to store n weights: n·size for plain dtypes; for NF4, ⌈n/2⌉ packed bytes plus quantisation constants."""
    if dtype in ELEMENT_BYTES:
        return n * ELEMENT_BYTES[dtype]
    packed = _ceil_div(n, 2)
    blocks = _ceil_div(n, NF4_BLOCK)
    if dtype == "nf4":
        return packed + 4 * blocks  # one fp32 absmax per 64 weights: 4 + 32/64 = 4.5 bits
    if dtype == "nf4-dq":
        # 8-bit absmax per 64 weights, one fp32 per 256 of those: 4 + 8/64 + 32/(64·256) ≈ 4.127 bits
        return packed + blocks + 4 * _ceil_div(blocks, NF4_DQ_BLOCK)
    raise ValueError(f"unknown dtype {dtype!r}")


def bits_per_weight(n: int, dtype: str) -> float:
    """Average storage bits per weight for n weights, constants included."""
    return 8 * tensor_bytes(n, dtype) / n


def trained_dtype(dtype: str, precision: str) -> str:
    """The dtype a trained tensor is kept in, with its gradient and optimizer states: fp32 under mixed precision
    (PyTorch autocast; PEFT's fp32 adapters), else the compute dtype (dtype, or bf16 for a storage format)."""
    return "fp32" if precision == "mixed" else float_dtype(dtype, COMPUTE_FALLBACK)


def recipe_text(dtype: str, precision: str) -> str:
    """The training recipe in words, for every number that rests on it."""
    compute = float_dtype(dtype, COMPUTE_FALLBACK)
    if precision == "mixed" and compute != "fp32":
        return (f"mixed precision: what is trained is kept in fp32 with fp32 gradients and AdamW states, computed in "
                f"{compute} under autocast; frozen weights stay in {dtype}")
    return f"{precision} precision: everything trained, its gradients and AdamW states in {trained_dtype(dtype, precision)}"


def adamw_state_bytes(numel: int, element_bytes: int) -> int:
    """AdamW's state for one trained tensor: exp_avg and exp_avg_sq like it, plus a 4-byte step (PyTorch)."""
    return 2 * numel * element_bytes + STEP_BYTES


@dataclass(frozen=True)
class TrainingMemory:
    """Bytes held during training with AdamW (activations not included)."""

    weights: int  # every weight, frozen or trained
    gradients: int  # one per trained weight, in its trained dtype
    optimizer_states: int  # AdamW: exp_avg and exp_avg_sq per trained weight, and a step per tensor

    @property
    def total(self) -> int:
        return self.weights + self.gradients + self.optimizer_states


@dataclass(frozen=True)
class MatrixMemory:
    """Training and serving bytes for one matrix, full fine-tuning vs LoRA."""

    dtype: str
    full: TrainingMemory | None  # None: quantised weights cannot be trained directly
    lora: TrainingMemory
    frozen_bytes: int  # W in its dtype
    adapter_dtype: str  # A and B: fp32 under mixed precision, the compute dtype under pure
    adapter_bytes: int
    served_separate: int  # W + A + B
    served_merged: int  # W′ = W + A×B, same size as W


def matrix_memory(counts: ParamCounts, dtype: str, precision: str = "mixed") -> MatrixMemory:
    """Memory for W (d×k) stored in dtype and its rank-r adapter (A and B: two tensors), trained with AdamW.

    The rules are the whole model's (lora_viz.model.budget) for a model of one matrix: trained tensors in
    trained_dtype(dtype, precision), AdamW's two states and a step per tensor, frozen weights in their dtype.
    """
    w = tensor_bytes(counts.full_trained, dtype)
    trained = trained_dtype(dtype, precision)  # W when fully fine-tuned, and A and B
    size = ELEMENT_BYTES[trained]
    full = None
    if dtype in FLOAT_DTYPES:
        trained_w = counts.full_trained * size
        full = TrainingMemory(weights=trained_w, gradients=trained_w, optimizer_states=adamw_state_bytes(counts.full_trained, size))
    adapter = counts.lora_trainable * size
    states = adamw_state_bytes(counts.d * counts.r, size) + adamw_state_bytes(counts.r * counts.k, size)
    lora = TrainingMemory(weights=w + adapter, gradients=adapter, optimizer_states=states)
    return MatrixMemory(
        dtype=dtype,
        full=full,
        lora=lora,
        frozen_bytes=w,
        adapter_dtype=trained,
        adapter_bytes=adapter,
        served_separate=w + adapter,
        served_merged=tensor_bytes(counts.served_merged, dtype),
    )


def format_bytes(n: int) -> str:
    """Readable binary size: 33554432 → '32 MiB' (KiB = 1024 B)."""
    units = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
    value = float(n)
    unit = 0
    while value >= 1024 and unit < len(units) - 1:
        value /= 1024
        unit += 1
    if unit == 0:
        return f"{n:,} B"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text} {units[unit]}"


# ---------------------------------------------------------------------------------------------------------------
# Does it fit a card? Cards are sold in decimal gigabytes (24 GB = 24·10⁹ B = 22.35 GiB); the CUDA context and the
# caching allocator hold memory that no tensor count includes: a few hundred MiB to about 1 GiB depending on the
# card and library versions. We set aside the upper end, and say on screen that it is an estimate.

CARDS_GB = (16, 24, 40, 48, 80)
GIB = 2**30
CUDA_ALLOWANCE = GIB  # estimate: CUDA context and allocator slack (PyTorch's memory_allocated counts neither)
ALLOWANCE_SOURCE = ("an estimate: the CUDA context and PyTorch's caching allocator take a few hundred MiB to about "
                    "1 GiB that no tensor count includes (torch.cuda.memory_allocated's documentation)")


def card_bytes(gb: int) -> int:
    """A card's memory as sold: decimal gigabytes (24 GB = 24·10⁹ B = 22.35 GiB)."""
    return gb * 10**9


def card_room(tensor_bytes_total: int, gb: int) -> int:
    """Bytes left on a `gb` card after the tensors and the CUDA allowance; negative when they do not fit."""
    return card_bytes(gb) - (tensor_bytes_total + CUDA_ALLOWANCE)


@dataclass(frozen=True)
class Fit:
    """The smallest card in CARDS_GB that holds `needed` bytes plus the allowance (None: not even the largest)."""

    needed: int  # tensors plus CUDA_ALLOWANCE
    card_gb: int | None

    @property
    def card_bytes(self) -> int:
        return card_bytes(self.card_gb or CARDS_GB[-1])


def fit_verdict(tensor_bytes_total: int) -> Fit:
    """Smallest card (decimal GB) with room for the tensors and the CUDA allowance."""
    fits = next((gb for gb in CARDS_GB if card_room(tensor_bytes_total, gb) >= 0), None)
    return Fit(tensor_bytes_total + CUDA_ALLOWANCE, fits)


def fit_text(fit: Fit) -> str:
    """'Fits a 24 GB card: 9.1 of 22.35 GiB', or that it needs more than the largest card."""
    if fit.card_gb is None:
        return f"Needs more than one {CARDS_GB[-1]} GB card: {fit.needed / GIB:.1f} GiB against {fit.card_bytes / GIB:.2f} GiB"
    article = "an" if str(fit.card_gb).startswith("8") else "a"  # "an 80 GB card"
    return f"Fits {article} {fit.card_gb} GB card: {fit.needed / GIB:.1f} of {fit.card_bytes / GIB:.2f} GiB"


# ---------------------------------------------------------------------------------------------------------------
# ZeRO (Rajbhandari et al. 2020, §5): per GPU with N data-parallel GPUs and Ψ trained parameters in mixed
# precision with Adam: 16-bit weights and gradients (2Ψ + 2Ψ) and K = 12 bytes of fp32 master weights and states.
# Formulas from the paper, not measurements: a frozen base (LoRA) is replicated, and partitioned only by stage 3.

ZERO_STAGES = (0, 1, 2, 3)
ZERO_K = 12
ZERO_FORMULAS = {0: "(2 + 2 + 12)·Ψ", 1: "(2 + 2)·Ψ + 12·Ψ/N", 2: "2·Ψ + (2 + 12)·Ψ/N", 3: "(2 + 2 + 12)·Ψ/N"}  # as written

def zero_bytes_per_gpu(trained: int, frozen_bytes: int, gpus: int, stage: int) -> int:
    """Stage 0 (2 + 2 + K)Ψ; 1: (2 + 2 + K/N)Ψ; 2: (2 + (2 + K)/N)Ψ; 3: (2 + 2 + K)Ψ/N; plus the frozen bytes
    (divided by N at stage 3). Ψ = trained parameters, N = GPUs; rounded up to whole bytes."""
    n, psi = gpus, trained
    per_gpu = {
        0: (2 + 2 + ZERO_K) * psi,
        1: (2 + 2) * psi + _ceil_div(ZERO_K * psi, n),
        2: 2 * psi + _ceil_div((2 + ZERO_K) * psi, n),
        3: _ceil_div((2 + 2 + ZERO_K) * psi, n),
    }[stage]
    return per_gpu + (_ceil_div(frozen_bytes, n) if stage == 3 else frozen_bytes)

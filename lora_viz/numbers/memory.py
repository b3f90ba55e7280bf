"""Bytes for one weight matrix: storage per dtype, training memory (AdamW) and serving memory."""

from __future__ import annotations

from dataclasses import dataclass

from ..names import ADAPTER_DTYPE, float_dtype

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
FP32_BYTES = 4  # fp32: a 32-bit optimizer state, a gradient of the loss
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


def compute_dtype(method: str, dtype: str) -> str:
    """The dtype a method computes in: QLoRA dequantises its NF4 base to bf16; the others compute in dtype, or in
    bf16 for a storage format (int8, NF4)."""
    return COMPUTE_FALLBACK if method == "qlora" else float_dtype(dtype, COMPUTE_FALLBACK)


def trained_dtype(method: str, dtype: str, precision: str, qlora_recipe: str = "peft") -> str:
    """The one rule for the dtype a trained tensor (every weight, or an adapter) is kept in, with its gradient and
    optimizer states: fp32 under mixed precision (PyTorch autocast; PEFT's fp32 adapters) and for plain adapters
    (PEFT's fp32 default, no autocast), else the compute dtype; the QLoRA paper's adapters in the compute dtype."""
    paper = method == "qlora" and qlora_recipe == "paper"
    if not paper and (precision == "mixed" or (precision == "plain" and method != "full")):
        return "fp32"
    return compute_dtype(method, dtype)


def adapter_dtype(stage: str, save_dtype: str) -> str:
    """An adapter's dtype once trained (in training it is trained_dtype's): saved in save_dtype, served as PEFT's
    loader keeps it (fp32)."""
    if stage == "saved":
        return save_dtype
    if stage == "served":  # PeftModel.from_pretrained loads a 16-bit adapter as fp32 (tests/golden/served_adapter.json)
        return ADAPTER_DTYPE
    raise ValueError(f"unknown stage {stage!r}")


def recipe_text(dtype: str, precision: str) -> str:
    """The training recipe in words, for every number that rests on it."""
    compute = compute_dtype("lora", dtype)
    if precision == "mixed" and compute != "fp32":
        return (f"mixed precision: what is trained is kept in fp32 with fp32 gradients and AdamW states, computed in "
                f"{compute} under autocast; frozen weights stay in {dtype}")
    if precision == "plain" and compute != "fp32":
        return (f"plain precision, PEFT's defaults without autocast: adapters, their gradients and AdamW states in fp32, "
                f"each adapter's input cast to fp32; the base computes in {compute}, and full fine-tuning keeps everything in {compute}")
    return f"{precision} precision: everything trained, its gradients and AdamW states in {trained_dtype('lora', dtype, precision)}"


def adamw_state_bytes(numel: int, element_bytes: int) -> int:
    """AdamW's state for one trained tensor: exp_avg and exp_avg_sq like it, plus a 4-byte step (PyTorch)."""
    return 2 * numel * element_bytes + STEP_BYTES


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
# Does it fit a card? A card's memory is binary (a "24 GB" RTX 4090 has 24,564 MiB); each card's total is what
# nvidia-smi reports for it (ECC on, for the data-centre cards that have it). The CUDA context and PyTorch's caching
# allocator hold memory that no tensor count includes: a few hundred MiB to about 1 GiB depending on the card and
# library versions. We set aside the upper end, and say on screen that it is an estimate.

GIB = 2**30
MIB = 2**20
CUDA_ALLOWANCE = GIB  # estimate: CUDA context and allocator slack (PyTorch's memory_allocated counts neither)
ALLOWANCE_SOURCE = ("an estimate: the CUDA context and PyTorch's caching allocator take a few hundred MiB to about "
                    "1 GiB that no tensor count includes (torch.cuda.memory_allocated's documentation)")


@dataclass(frozen=True)
class Card:
    """A GPU by name, with its memory as nvidia-smi reports its total (MiB), and where that figure was seen."""

    key: str  # its name in links and on the command line
    name: str
    mib: int
    source: str

    @property
    def bytes(self) -> int:
        return self.mib * MIB


NVIDIA_SMI = "nvidia-smi's memory total, as printed in public logs of this card"
CARDS = (  # smallest first
    Card("t4", "T4 16 GB", 15_360, NVIDIA_SMI + " (Tesla T4: 15360MiB)"),
    Card("l4", "L4 24 GB", 23_034, NVIDIA_SMI + " (NVIDIA L4: 23034MiB)"),
    Card("rtx4090", "RTX 4090 24 GB", 24_564, NVIDIA_SMI + " (GeForce RTX 4090: 24564MiB)"),
    Card("a100-40", "A100 40 GB", 40_960, NVIDIA_SMI + " (A100-SXM4-40GB: 40960MiB)"),
    Card("l40s", "L40S 48 GB", 46_068, NVIDIA_SMI + " (NVIDIA L40S: 46068MiB)"),
    Card("a6000", "RTX A6000 48 GB", 49_140, NVIDIA_SMI + " (RTX A6000: 49140MiB)"),
    Card("h100", "H100 80 GB", 81_559, NVIDIA_SMI + " (H100 80GB HBM3: 81559MiB; CUDA: 79.647 GiB)"),
    Card("a100-80", "A100 80 GB", 81_920, NVIDIA_SMI + " (A100-SXM4-80GB: 81920MiB)"),
    Card("h200", "H200 141 GB", 143_771, NVIDIA_SMI + " (NVIDIA H200: 143771MiB)"),
)


def card_by_key(key: str) -> Card:
    """A card by its key in links: 'rtx4090' → RTX 4090 24 GB."""
    return next(card for card in CARDS if card.key == key)


def card_room(tensor_bytes_total: int, card: Card) -> int:
    """Bytes left on a card after the tensors and the CUDA allowance; negative when they do not fit."""
    return card.bytes - (tensor_bytes_total + CUDA_ALLOWANCE)


@dataclass(frozen=True)
class Fit:
    """The smallest card of CARDS that holds `needed` bytes (tensors plus the allowance); None: not even the largest."""

    needed: int  # tensors plus CUDA_ALLOWANCE
    card: Card | None


def fit_verdict(tensor_bytes_total: int) -> Fit:
    """Smallest card with room for the tensors and the CUDA allowance."""
    fits = next((card for card in CARDS if card_room(tensor_bytes_total, card) >= 0), None)
    return Fit(tensor_bytes_total + CUDA_ALLOWANCE, fits)


def fit_text(fit: Fit) -> str:
    """'Fits an RTX 4090 24 GB: 9.1 of 23.99 GiB', or that it needs more than the largest card."""
    if fit.card is None:
        largest = CARDS[-1]
        return f"Needs more than one {largest.name}: {fit.needed / GIB:.1f} GiB against {largest.bytes / GIB:.2f} GiB"
    article = "an" if fit.card.name[0] in "AEHLR" else "a"  # an A100, an H100, an L4, an RTX 4090; a T4
    return f"Fits {article} {fit.card.name}: {fit.needed / GIB:.1f} of {fit.card.bytes / GIB:.2f} GiB"


# ---------------------------------------------------------------------------------------------------------------
# ZeRO (Rajbhandari et al. 2020, §5) partitions a recipe's bytes across N data-parallel GPUs: stage 1 the optimizer
# states S, stage 2 the gradients G too, stage 3 the weights W as well (and a frozen base F with them); below stage 3
# what is not partitioned is whole on every GPU. The paper's own recipe is mixed precision with Adam: W = 2Ψ, G = 2Ψ,
# S = 12Ψ (fp32 master weights and two states), which gives its formulas: (2 + 2 + 12)Ψ, (2 + 2 + 12/N)Ψ,
# (2 + 14/N)Ψ and 16Ψ/N. The app uses the chosen recipe's own W, G and S.

ZERO_STAGES = (0, 1, 2, 3)
ZERO_FORMULAS = {0: "W + G + S", 1: "W + G + S/N", 2: "W + (G + S)/N", 3: "(W + G + S)/N"}


def zero_per_gpu(weights: int, gradients: int, states: int, frozen: int, gpus: int, stage: int) -> int:
    """Bytes per GPU at a ZeRO stage: the trained weights W, gradients G and optimizer states S, partitioned as
    the stage says, and the frozen base F (whole below stage 3, partitioned at 3); rounded up to whole bytes."""
    n = gpus
    return {
        0: weights + gradients + states + frozen,
        1: weights + gradients + _ceil_div(states, n) + frozen,
        2: weights + _ceil_div(gradients + states, n) + frozen,
        3: _ceil_div(weights + gradients + states + frozen, n),
    }[stage]

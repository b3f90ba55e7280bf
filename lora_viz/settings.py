"""One settings model for every page: a table of settings, parsed from and written to URL query parameters.

Each setting is declared once, as a field of `Settings` carrying its schema: the URL key (the field's name), its
kind, default, range or choices, label, help, the pages that use it, whether a link can hide it, and any other
command-line name. Parsing with notices, writing the URL, the hideable list, the widgets' labels and ranges and
the command line's flags all read that table. Rules that tie settings together follow it, each with its notice.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Mapping, Sequence

from .numbers.example import frame_count
from .outline import OUTLINE
from .presets import (ALL_LINEAR, ARCHS, CUSTOM, DEFAULT_TARGETS, MOE_TYPES, PRESETS, adapter_ranks, default_targets,
                      custom_model, ModelSpec, target_names, wrapped_names)
from .quoting import quote_input
from .names import (ATTENTIONS, DTYPES, FLOAT_DTYPES, IMAGE_FORMATS, METHODS, NOTATIONS, OPTIMIZERS, PRECISIONS, QLORA_RECIPES,
                    SPECTRA, TRAINERS, VARIANTS)
from .numbers.memory import CARDS, DTYPE_LABELS

LINK_VERSION = 3  # written into every link as v=…; raise it whenever a default changes (see PAST_DEFAULTS)
VERSION_KEY = "v"
# Only settings that differ from their defaults are written to links when this is off (with the link version, a
# link keeps its meaning when a later version changes a default).
WRITE_DEFAULTS = False
MAX_DIM = 131_072
MAX_SEED = 2**31 - 1
MAX_ALPHA = 65_536.0
MAX_NOTICES = 10  # a link with thousands of bad values gets ten notices and a count, not a page of them
LESSON_LENGTH = len(OUTLINE)  # the guided lesson's steps
MODELS = (*PRESETS, CUSTOM)
HIDE_SUFFIX = "_hide"  # d_hide=1 hides the d control, in the manner of TensorFlow Playground's links
PANELS = ("share", "pages", "export")  # parts of the sidebar a link can hide besides the controls
# Pages by URL path: which pages show each setting.
HOME, LESSON, MATRICES, MERGE, WHOLE_MODEL, LOW_RANK = "", "lesson", "matrices", "merge", "whole_model", "low_rank"
EVERY_PAGE = (HOME, LESSON, MATRICES, MERGE, WHOLE_MODEL, LOW_RANK)


@dataclass(frozen=True)
class Schema:
    """What the app knows of one setting besides its name and default."""

    kind: str  # "int", "float", "choice", "bool" or "names" (a comma-separated list)
    label: str
    low: float | None = None  # int and float: the range
    high: float | Callable[[Mapping[str, Any]], float] | None = None  # or a rule: the limit set by settings read before
    limit: str = ""  # how a rule's limit is written in notices, e.g. "min(d, k)"
    choices: tuple[str, ...] = ()  # choice: the names a link may use
    names: Mapping[str, str] = field(default_factory=dict)  # choice: how a control and the text show each one
    help: str = ""
    pages: tuple[str, ...] = EVERY_PAGE
    hideable: bool = True  # a link can hide its control (<key>_hide=1)
    flags: tuple[str, ...] = ()  # other command-line names, besides --<key>
    custom_only: bool = False  # read and written only with model=custom
    widget: str = ""  # the Streamlit control that shows it: number_input, slider, selectbox, radio, toggle, …
    sidebar: int = 0  # its place among the sidebar's controls (1 first), or 0 for a page's own control
    step: float | None = None  # a number box's or slider's step
    format: str = ""  # a number box's format (printf style)
    horizontal: bool = False  # a radio's choices in one row
    when: tuple[str, tuple[Any, ...]] | None = None  # shown only while another setting has one of these values

    def name(self, choice: str) -> str:
        """How a choice is shown: its name in `names`, or the choice itself."""
        return self.names.get(choice, choice)

    def applies(self, s: Any) -> bool:
        """True unless its control is shown only alongside other values of another setting (`when`)."""
        return self.when is None or getattr(s, self.when[0]) in self.when[1]


def setting(default: Any, kind: str, label: str, **schema: Any) -> Any:
    """A Settings field with its schema (one line per setting)."""
    return field(default=default, metadata={"schema": Schema(kind, label, **schema)})


def _int(default: int, label: str, low: int, high: int | Callable[[Mapping[str, Any]], int], **schema: Any) -> Any:
    return setting(default, "int", label, low=low, high=high, **({"widget": "number_input"} | schema))


def _float(default: float, label: str, low: float, high: float, **schema: Any) -> Any:
    return setting(default, "float", label, low=low, high=high, **({"widget": "number_input"} | schema))


def _choice(default: str, label: str, choices: tuple[str, ...], **schema: Any) -> Any:
    return setting(default, "choice", label, choices=choices, **({"widget": "selectbox"} | schema))


def _bool(default: bool, label: str, **schema: Any) -> Any:
    return setting(default, "bool", label, **({"widget": "toggle"} | schema))


def rank_limit(values: Mapping[str, Any]) -> int:
    """r ≤ min(d, k): a rank cannot exceed either side of W."""
    return min(values["d"], values["k"])


def last_frame(values: Mapping[str, Any]) -> int:
    """The merge animation opens on one of its frames, and there are fewer of them at ranks below 8."""
    return frame_count(values["r"], values["variant"]) - 1


MATRIX_PAGES = (HOME, LESSON, MATRICES, MERGE, LOW_RANK)
CUSTOM_SIZE = dict(pages=(WHOLE_MODEL,), custom_only=True, step=1)
LLAMA_LAYOUT = dict(pages=(WHOLE_MODEL,), custom_only=True, when=("arch", ("llama",)))  # the custom Llama layout's switches
ADAPTER_METHODS = ("method", ("lora", "qlora"))  # shown for an adapter's methods, not for full fine-tuning
QLORA_ONLY = ("method", ("qlora",))


@dataclass(frozen=True)
class Settings:
    """Everything that defines a view; W is d×k, the adapter has rank r. Teachers' links depend on these names."""

    d: int = _int(4096, "d — rows of W (output size)", 1, MAX_DIM, pages=MATRIX_PAGES, sidebar=1, step=1)
    k: int = _int(4096, "k — columns of W (input size)", 1, MAX_DIM, pages=MATRIX_PAGES, sidebar=2, step=1)
    r: int = _int(8, "r — rank of the adapter", 1, rank_limit, limit="min(d, k)", flags=("--rank",), sidebar=3, widget="select_slider",
                  help="Steps are spaced roughly logarithmically; any rank up to min(d, k) can be given in the link.")
    alpha: float = _float(8.0, "α — scaling numerator (ΔW is scaled by α/r)", 1e-3, MAX_ALPHA, pages=MATRIX_PAGES,
                          sidebar=4, step=1.0, format="%g")
    variant: str = _choice("lora", "LoRA variant", VARIANTS, pages=(HOME, MATRICES, MERGE, WHOLE_MODEL), sidebar=4.5, flags=("--variant",),
                           names={"lora": "LoRA", "rslora": "rsLoRA (α/√r)", "dora": "DoRA (+ magnitude m)", "pissa": "PiSSA (SVD start)"},
                           help="PEFT's switches: use_rslora scales ΔW by α/√r instead of α/r; use_dora trains a magnitude "
                                "vector too, one number per output row; init_lora_weights=\"pissa\" starts A and B from W's top-r "
                                "singular vectors and takes them out of W. rsLoRA and PiSSA train as many parameters as LoRA.")
    dtype: str = _choice("bf16", "dtype of W", DTYPES, names=DTYPE_LABELS, sidebar=5)
    notation: str = _choice("card", "Notation", NOTATIONS, sidebar=7, widget="radio",
                            names={"card": "W + A×B (A is d×r)", "paper": "W₀ + B·A (paper, PEFT)"},
                            help="The same model either way: only the names swap. Tools differ on this.")
    seed: int = _int(0, "Seed", 0, MAX_SEED, pages=MATRIX_PAGES, sidebar=9, step=1)
    trained: bool = _bool(True, "Trained adapter (both factors non-zero)", pages=MATRIX_PAGES, sidebar=8,
                           help="Off: the adapter as initialised, with one factor all zeros, so ΔW = 0.")
    step: int = _int(0, "Open the animation at step", 0, last_frame, pages=(MERGE,), widget="select_slider")
    model: str = _choice("llama-2-7b", "Model", MODELS, pages=(WHOLE_MODEL,),
                         names={key: spec.label for key, spec in PRESETS.items()} | {CUSTOM: "Custom sizes"})
    targets: tuple[str, ...] = setting(DEFAULT_TARGETS["llama"], "names", "LoRA target modules", pages=(WHOLE_MODEL,),
                                       widget="multiselect", when=ADAPTER_METHODS,
                                       help="Module names as PEFT matches them; all-linear is every linear layer except the output head.")
    method: str = _choice("lora", "Method", METHODS, pages=(WHOLE_MODEL,), widget="radio", horizontal=True,
                          names={"full": "Full fine-tuning", "lora": "LoRA", "qlora": "QLoRA (NF4 base)"})
    precision: str = _choice("mixed", "Training precision", PRECISIONS, pages=(MATRICES, WHOLE_MODEL), sidebar=6, widget="radio", horizontal=True,
                             names={"mixed": "mixed (fp32 trained)", "pure": "pure (all in dtype)", "plain": "plain (PEFT, no autocast)"},
                             help="mixed: what is trained kept in fp32 (weights, gradients, optimizer states), computed in the "
                                  "16-bit dtype under autocast; frozen weights stay in the dtype. pure: everything in the dtype. "
                                  "plain: PEFT's defaults in a loop without autocast, fp32 adapters on the 16-bit base, each "
                                  "adapter's input cast to fp32 (full fine-tuning: as pure).")
    optimizer: str = _choice("adamw", "Optimizer", OPTIMIZERS, pages=(WHOLE_MODEL,),
                             names={"adamw": "AdamW", "sgd": "SGD (no momentum)", "adamw8bit": "8-bit AdamW (bitsandbytes)",
                                    "paged_adamw": "Paged AdamW 32-bit (bitsandbytes)"},
                             help="Paged AdamW 32-bit (the QLoRA paper's paged_adamw_32bit) keeps fp32 states in memory that "
                                  "pages to the host under pressure; the verdict counts them on the GPU, as when nothing is paged.")
    batch: int = _int(1, "Batch size", 1, 1024, pages=(WHOLE_MODEL,), step=1)
    seq: int = _int(2048, "Sequence length", 1, 131_072, pages=(WHOLE_MODEL,), step=256)
    ckpt: bool = _bool(False, "Checkpointing", pages=(WHOLE_MODEL,),
                       help="Gradient checkpointing: keep each layer's input only, recompute the rest.")
    attention: str = _choice("sdpa", "Attention kernel", ATTENTIONS, pages=(WHOLE_MODEL,), widget="radio", horizontal=True,
                             help="sdpa: transformers' default, which never keeps the seq×seq attention scores. eager: "
                                  "softmax(QKᵀ)V written out, which keeps them for backward.")
    lora_dropout: float = _float(0.0, "LoRA dropout", 0.0, 0.5, pages=(WHOLE_MODEL,), flags=("--lora-dropout",), widget="slider",
                                 step=0.05, format="%.2f", when=ADAPTER_METHODS,
                                 help="PEFT's lora_dropout, applied to each adapter's input (PEFT's default 0; the QLoRA scripts use "
                                      "0.05, many recipes 0.1). Above 0, each adapted layer keeps its own dropped copy of its "
                                      "input and the dropout's mask for backward.")
    model_dropout: bool = _bool(True, "Model's own dropout", pages=(WHOLE_MODEL,), flags=("--model-dropout",),
                                help="On: as the model's configuration releases it (GPT-2, OPT and BERT 0.1 after embeddings, "
                                     "attention and each block; Llama and Mistral none). Off: every dropout of the model set to 0, "
                                     "as many fine-tuning recipes do; no masks are kept.")
    qlora_recipe: str = _choice("peft", "QLoRA recipe", QLORA_RECIPES, pages=(WHOLE_MODEL,), flags=("--qlora-recipe",), widget="radio",
                                horizontal=True, when=QLORA_ONLY,
                                names={"peft": "PEFT's", "paper": "the QLoRA paper's"},
                                help="PEFT's: as prepare_model_for_kbit_training leaves the model (fp32 adapters, norms, "
                                     "embeddings and head). The QLoRA paper's qlora.py then casts the adapters, the embeddings "
                                     "and the head to bf16 and keeps the norms in fp32; it trains under bf16 autocast (mixed).")
    padded: bool = _bool(False, "Padded batch", pages=(WHOLE_MODEL,), flags=("--padded",),
                         help="The batch padded to its longest sequence, with an attention mask. SDPA then keeps the mask as "
                              "a float bias (batch × seq × seq), and models with fewer key/value heads repeat k and v to "
                              "every head first (transformers' GQA path needs no mask).")
    prepared: bool = _bool(True, "QLoRA as PEFT prepares it", pages=(WHOLE_MODEL,), when=QLORA_ONLY,
                           help="prepare_model_for_kbit_training, which QLoRA recipes call: the weights that are not quantised "
                                "(embeddings, norms, head) cast to fp32, and gradient checkpointing on. Off: the model as loaded.")
    adapters: int = _int(100, "Adapters served", 1, 100_000, pages=(WHOLE_MODEL,), step=1, when=ADAPTER_METHODS)
    save_dtype: str = _choice("fp32", "Adapter file dtype", FLOAT_DTYPES, pages=(WHOLE_MODEL,), flags=("--save-dtype",),
                              widget="radio", horizontal=True, when=ADAPTER_METHODS,
                              help="The dtype the adapter file is saved in (served, PEFT's loader keeps it in fp32). "
                                   "The LoRA paper's 35 MB checkpoint is fp16.")
    gpus: int = _int(8, "GPUs (data parallel, for ZeRO)", 1, 4096, pages=(WHOLE_MODEL,), step=1)
    card: str = _choice("a100-80", "GPU", tuple(card.key for card in CARDS), pages=(WHOLE_MODEL,),
                        names={card.key: card.name for card in CARDS},
                        help="The card of each data-parallel GPU, for the multi-GPU verdict; its memory as nvidia-smi reports it.")
    zero: int = _int(2, "ZeRO stage", 0, 3, pages=(WHOLE_MODEL,), widget="radio", horizontal=True,
                     help="0: every GPU holds everything; 1: optimizer states split across the GPUs; 2: gradients too; "
                          "3: weights too (the frozen base with them).")
    hidden: int = _int(4096, "hidden", 1, MAX_DIM, **CUSTOM_SIZE)  # the custom model's dimensions
    intermediate: int = _int(11008, "intermediate", 1, 4 * MAX_DIM, **CUSTOM_SIZE)
    layers: int = _int(32, "layers", 1, 1024, **CUSTOM_SIZE)
    heads: int = _int(32, "heads", 1, 1024, **CUSTOM_SIZE)
    kv_heads: int = _int(32, "KV heads", 1, 1024, flags=("--kv-heads",), when=("arch", ("llama",)), **CUSTOM_SIZE)
    vocab: int = _int(32000, "vocab", 1, 1_000_000, **CUSTOM_SIZE)
    arch: str = _choice("llama", "layout", ARCHS, **CUSTOM_SIZE,
                        help="llama: SwiGLU, RMSNorm, rotary positions, grouped KV heads, untied head. gpt2: GELU, biases, "
                             "LayerNorm, learned positions, tied head (KV heads unused).")
    positions: int = _int(1024, "positions", 1, 1_048_576, when=("arch", ("gpt2",)), **CUSTOM_SIZE)
    head_dim: int = _int(0, "head_dim", 0, 4096, flags=("--head-dim",), when=("arch", ("llama",)), **CUSTOM_SIZE,
                         help="Each attention head's width, when the config sets it apart from hidden ÷ heads (Qwen3, "
                              "Mistral-Nemo: 128); 0: hidden ÷ heads.")
    tied: bool = _bool(False, "tied head", help="tie_word_embeddings: the output head is the token embedding.", **LLAMA_LAYOUT)
    qkv_bias: bool = _bool(False, "q, k, v biases", flags=("--qkv-bias",), help="Biases on q, k and v (Qwen2, Qwen2.5).",
                           **LLAMA_LAYOUT)
    qk_norm: bool = _bool(False, "q/k norms", flags=("--qk-norm",), help="An RMSNorm over each head of q and of k (Qwen3).",
                          **LLAMA_LAYOUT)
    fused: bool = _bool(False, "fused projections", help="q, k and v in one qkv_proj, gate and up in one gate_up_proj "
                        "(Phi-3, Phi-4): LoRA targets them by those names.", **LLAMA_LAYOUT)
    sandwich: bool = _bool(False, "Gemma's block", help="RMSNorms before and after both attention and the MLP, a GELU-tanh "
                           "MLP, and the embedding scaled by √hidden (Gemma 2 and 3).", **LLAMA_LAYOUT)
    experts: int = _int(0, "experts", 0, 1024, when=("arch", ("llama",)), **CUSTOM_SIZE,
                        help="A mixture of experts: this many MLPs per block, each `intermediate` wide, and a router "
                             "(Mixtral: 8; Qwen3-30B-A3B: 128); 0: one dense MLP.")
    moe_type: str = _choice("mixtral", "experts' class", MOE_TYPES, flags=("--moe-type",), when=("arch", ("llama",)), **CUSTOM_SIZE,
                            help="The transformers class of the mixture: it decides the router's dtype, whether the top k's "
                                 "weights are renormalised, and whether PEFT's all-linear reaches the router and the experts "
                                 "(Mixtral and Qwen3-MoE: yes; Qwen2-MoE: no).")
    shared_expert: int = _int(0, "shared expert width", 0, 4 * MAX_DIM, flags=("--shared-expert",), when=("arch", ("llama",)),
                              **CUSTOM_SIZE, help="An MLP this wide that every token runs through beside its experts, behind "
                              "a sigmoid gate (Qwen2-MoE: shared_expert_intermediate_size); 0: none.")
    experts_per_token: int = _int(2, "experts per token", 1, 1024, flags=("--experts-per-token",),
                                  when=("arch", ("llama",)), **CUSTOM_SIZE, help="How many experts the router sends each token "
                                  "to (top-k; Mixtral 2, Qwen3-30B-A3B 8).")
    spectrum: str = _choice("power", "Needed change ΔW*", SPECTRA, pages=(LOW_RANK,), widget="radio",
                            names={"rank": "exactly rank s", "power": "power-law decay", "noise": "full-rank noise"})
    spectrum_rank: int = _int(4, "its rank s", 1, 48, pages=(LOW_RANK,), widget="slider", when=("spectrum", ("rank",)))
    decay: float = _float(1.0, "decay p (σᵢ ∝ i⁻ᵖ)", 0.0, 4.0, pages=(LOW_RANK,), widget="slider", step=0.05,
                          when=("spectrum", ("power",)))
    noise: float = _float(0.0, "label noise", 0.0, 2.0, pages=(LOW_RANK,), widget="slider", step=0.05)
    steps: int = _int(400, "steps", 10, 3000, pages=(LOW_RANK,), step=50)
    lr: float = _float(0.02, "learning rate", 1e-5, 1.0, pages=(LOW_RANK,), step=0.005, format="%g")
    trainer: str = _choice("adam", "Optimizer", TRAINERS, pages=(LOW_RANK,), widget="radio", horizontal=True,
                           names={"adam": "Adam", "gd": "gradient descent"})
    lr_ratio: float = _float(1.0, "LoRA+ ratio (B's learning rate ÷ A's)", 1.0, 64.0, pages=(LOW_RANK,), step=1.0, format="%g",
                             help="LoRA+ (PEFT's loraplus_lr_ratio; its authors suggest 16): the output-side factor, which starts "
                                  "at zero, learns this many times faster than the input-side one. 1: plain LoRA.")
    lesson: int = _int(0, "Lesson step", 0, LESSON_LENGTH - 1, pages=(LESSON,), widget="select_slider")
    present: bool = _bool(False, "Presentation mode (larger type)", hideable=False, sidebar=10)
    student: bool = _bool(False, "Student view (every control and the teachers' tools hidden)", hideable=False)
    image: str = _choice("png", "Figures download as", IMAGE_FORMATS, hideable=False, widget="radio", horizontal=True,
                         help="Each figure's camera button (top right of the figure) saves it in this format.")
    hide: tuple[str, ...] = ()  # controls a teacher's link hides (URL: <key>_hide=1)


SCHEMA: dict[str, Schema] = {f.name: f.metadata["schema"] for f in fields(Settings) if "schema" in f.metadata}
URL_KEYS = tuple(SCHEMA)
LINK_KEYS = (*URL_KEYS, VERSION_KEY)  # every key a link may carry besides the <key>_hide flags
CUSTOM_KEYS = tuple(key for key, schema in SCHEMA.items() if schema.custom_only)
HIDEABLE = tuple(key for key, schema in SCHEMA.items() if schema.hideable) + PANELS
SIDEBAR = tuple(sorted((key for key, schema in SCHEMA.items() if schema.sidebar), key=lambda key: SCHEMA[key].sidebar))
DEFAULTS = Settings()
# Defaults as they were in links of older versions: a link made then is read with them, so it shows what it
# showed. Key: the last link version that had them. A value may be a rule of the settings read before it.
PAST_DEFAULTS: dict[int, dict[str, Any]] = {
    1: {"trained": False},  # version 2 opens on a trained adapter, so that the merge animation changes W
    # Version 3 added the training precision, mixed by default. Before it, full fine-tuning kept everything in the
    # dtype (pure), while LoRA and QLoRA kept PEFT's fp32 adapters (mixed, by its definition); and QLoRA was priced
    # as loaded, before PEFT's preparation for k-bit training.
    2: {"precision": lambda values: "pure" if values["method"] == "full" else "mixed", "prepared": False},
}


def schema(key: str) -> Schema:
    """The schema of one setting."""
    return SCHEMA[key]


def defaults_for(version: int) -> dict[str, Any]:
    """The defaults a link of this version was made with, by key (a rule stands for a default set by other settings)."""
    changes: dict[str, Any] = {}
    for past in sorted((v for v in PAST_DEFAULTS if v >= version), reverse=True):
        changes |= PAST_DEFAULTS[past]
    return vars(DEFAULTS) | changes


def capped(notices: list[str], limit: int = MAX_NOTICES) -> list[str]:
    """The first `limit` notices, then one line that counts the rest."""
    if len(notices) <= limit:
        return notices
    return [*notices[:limit], f"… and {len(notices) - limit:,} more."]


def format_number(value: float) -> str:
    """Shortest plain text for a float: 16 not 16.0, 0.5 stays 0.5."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


# ---------------------------------------------------------------------------------------------------------------
# Reading one value of each kind


def _last(value: str | Sequence[str]) -> str:
    """A query value as one string: repeated keys give the last, as st.query_params does."""
    if isinstance(value, str):
        return value
    return str(value[-1]) if len(value) else ""


def _parse_int(key: str, raw: str, lo: int, hi: int, default: int, notices: list[str], limit: str = "") -> int:
    """Parse a whole number (a finite float is rounded) and clamp it to [lo, hi] (hi named `limit` in notices)."""
    text = raw.strip()
    try:
        if re.fullmatch(r"[+-]?\d+", text):
            # Past Python's int() digit limit the sign alone decides the clamp.
            value = int(text) if len(text) < 100 else (lo - 1 if text.startswith("-") else hi + 1)
            rounded = False
        else:
            number = float(text)
            if not math.isfinite(number):
                raise ValueError(text)
            value = round(number)
            rounded = number != value
    except ValueError:  # also int() past Python's digit limit
        notices.append(f"{key}: {quote_input(raw)} is not a whole number; using {default:,}.")
        return default
    if value < lo or value > hi:
        clamped = min(max(value, lo), hi)
        named = f" ({limit} = {hi:,})" if limit and value > hi else ""
        notices.append(f"{key}: {quote_input(raw)} is outside {lo:,}…{hi:,}{named}; using {clamped:,}.")
        return clamped
    if rounded:
        notices.append(f"{key}: {quote_input(raw)} rounded to {value:,}.")
    return value


def _parse_float(key: str, raw: str, lo: float, hi: float, default: float, notices: list[str]) -> float:
    """Parse a finite float and clamp it to [lo, hi]."""
    try:
        value = float(raw.strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        notices.append(f"{key}: {quote_input(raw)} is not a finite number; using {format_number(default)}.")
        return default
    if value < lo or value > hi:
        clamped = min(max(value, lo), hi)
        notices.append(f"{key}: {quote_input(raw)} is outside {format_number(lo)}…{format_number(hi)}; using {format_number(clamped)}.")
        return clamped
    return value


def _parse_choice(key: str, raw: str, choices: Sequence[str], default: str, notices: list[str]) -> str:
    """Accept one of the known names (case-insensitive), else the default."""
    value = raw.strip().lower() if len(raw) <= 100 else ""
    if value in choices:
        return value
    notices.append(f"{key}: {quote_input(raw)} is not one of {', '.join(choices)}; using {default}.")
    return default


def _parse_bool(key: str, raw: str, default: bool, notices: list[str]) -> bool:
    """Accept 1/0, true/false, yes/no, on/off."""
    value = raw.strip().lower() if len(raw) <= 100 else ""
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    notices.append(f"{key}: {quote_input(raw)} is not 1 or 0; using {int(default)}.")
    return default


def _parse_value(key: str, raw: str, default: Any, values: Mapping[str, Any], notices: list[str]) -> Any:
    """One setting's value from its text, as its schema says (lists are read by the rule that knows their names)."""
    spec = SCHEMA[key]
    if spec.kind == "int":
        hi = int(spec.high(values)) if callable(spec.high) else int(spec.high)
        return _parse_int(key, raw, int(spec.low), hi, min(default, hi), notices, spec.limit)
    if spec.kind == "float":
        return _parse_float(key, raw, spec.low, spec.high, default, notices)
    if spec.kind == "choice":
        return _parse_choice(key, raw, spec.choices, default, notices)
    if spec.kind == "bool":
        return _parse_bool(key, raw, default, notices)
    return default


# ---------------------------------------------------------------------------------------------------------------
# Rules that tie settings together beyond a limit (rank_limit and last_frame, above): each reads the values read so
# far and the link's text, and fixes what breaks it with a notice


Rule = Callable[[dict[str, Any], Mapping[str, str], list[str]], None]


def heads_divide_evenly(values: dict[str, Any], raw: Mapping[str, str], notices: list[str]) -> None:
    """A custom model's heads divide its hidden size (unless the Llama layout sets head_dim apart), and (Llama layout)
    its key/value heads divide its heads."""
    if values["model"] == CUSTOM:
        if not (values["arch"] == "llama" and values["head_dim"]):
            values["heads"] = _divisor("heads", values["heads"], values["hidden"], "hidden", notices)
        if values["arch"] == "llama":  # a GPT-2 layout has no separate key/value heads
            values["kv_heads"] = _divisor("kv_heads", values["kv_heads"], values["heads"], "heads", notices)


def targets_of_the_model(values: dict[str, Any], raw: Mapping[str, str], notices: list[str]) -> None:
    """The target modules: names the model has, or all-linear; by default PEFT's for the model's family."""
    values["targets"] = _parse_targets(raw.get("targets"), _spec_of(values), notices)


def experts_per_token_within_experts(values: dict[str, Any], raw: Mapping[str, str], notices: list[str]) -> None:
    """A custom mixture of experts routes each token to at most all of its experts."""
    if values["model"] == CUSTOM and 0 < values["experts"] < values["experts_per_token"]:
        notices.append(f"experts_per_token: {values['experts_per_token']:,} is more than the {values['experts']:,} experts; "
                       f"using {values['experts']:,}.")
        values["experts_per_token"] = values["experts"]


def experts_take_no_dropout(values: dict[str, Any], raw: Mapping[str, str], notices: list[str]) -> None:
    """PEFT wraps a mixture of experts' router and stacked experts as parameters (ParamWrapper), which refuses
    lora_dropout: with any of them targeted, the dropout is 0."""
    targeted = _wrapped_targets(values)
    if targeted and values["lora_dropout"]:
        notices.append(f"LoRA dropout: PEFT's adapters on {', '.join(sorted(targeted))} (parameters, not modules) take no "
                       f"dropout; using 0, not {values['lora_dropout']:g}.")
        values["lora_dropout"] = 0.0


def experts_take_plain_lora(values: dict[str, Any], raw: Mapping[str, str], notices: list[str]) -> None:
    """PEFT's ParamWrapper (a mixture's router and stacked experts) refuses use_dora, and PEFT 0.21 fails to start
    PiSSA there: with any of them targeted, the variant is plain LoRA."""
    targeted = _wrapped_targets(values)
    if targeted and values["variant"] in ("dora", "pissa"):
        why = "refuse DoRA" if values["variant"] == "dora" else "cannot start from PiSSA's SVD (PEFT 0.21 fails there)"
        notices.append(f"LoRA variant: PEFT's adapters on {', '.join(sorted(targeted))} (parameters, not modules) {why}; "
                       f"using plain LoRA.")
        values["variant"] = "lora"


def _wrapped_targets(values: Mapping[str, Any]) -> set[str]:
    """The targeted names that PEFT wraps as parameters (ParamWrapper), not modules."""
    spec = _spec_of(values)
    return wrapped_names(spec) & set(adapter_ranks(spec, 1, values["targets"]))


RULES: tuple[Rule, ...] = (heads_divide_evenly, experts_per_token_within_experts, targets_of_the_model, experts_take_no_dropout,
                           experts_take_plain_lora)


def _divisor(key: str, value: int, whole: int, whole_key: str, notices: list[str]) -> int:
    """value if it divides whole, else the largest divisor of whole below it (attention heads must split evenly)."""
    if whole % value == 0:
        return value
    fitted = next(v for v in range(min(value, whole), 0, -1) if whole % v == 0)
    notices.append(f"{key}: {value:,} does not divide {whole_key} = {whole:,}; using {fitted:,}.")
    return fitted


def _first_items(raw: str, count: int) -> tuple[str, int]:
    """The first `count` comma-separated items of raw, and how many follow them (counted, never copied or split:
    a link's list can be long, and only as many names as a model has are worth reading)."""
    end = -1
    for _ in range(count):
        end = raw.find(",", end + 1)
        if end < 0:
            return raw, 0
    return raw[:end], raw.count(",", end)


def _parse_targets(raw: str | None, spec: ModelSpec, notices: list[str]) -> tuple[str, ...]:
    """Comma-separated module names of this model, or 'all-linear'; unknown names are dropped with a notice."""
    default = default_targets(spec)
    if raw is None or (len(raw) <= len(" default ") and raw.strip().lower() in ("", "default")):
        return default
    known = target_names(spec)
    head, unread = _first_items(raw, len(known) + MAX_NOTICES)
    names = [name.strip() for name in head.split(",") if name.strip()]
    if ALL_LINEAR in (name.lower() for name in names):
        return (ALL_LINEAR,)
    unknown = [name for name in names if name not in known]
    for name in unknown[:MAX_NOTICES]:
        notices.append(f"targets: {quote_input(name)} is not a module of {spec.label} ({', '.join(known)}); left out.")
    if len(unknown) > MAX_NOTICES or unread:
        notices.append(f"targets: {len(unknown) - min(len(unknown), MAX_NOTICES) + unread:,} more names left out.")
    chosen = tuple(name for name in known if name in names)
    if not chosen:
        notices.append(f"targets: nothing left to adapt; using PEFT's default for {spec.label}, {', '.join(default)}.")
        return default
    return chosen


def _spec_of(values: Mapping[str, Any]) -> ModelSpec:
    if values["model"] == CUSTOM:
        return custom_model(**{key: values[key] for key in CUSTOM_KEYS})
    return PRESETS[values["model"]]


def model_spec(settings: Settings) -> ModelSpec:
    """The preset, or the custom model built from the typed dimensions."""
    return _spec_of(vars(settings))


# ---------------------------------------------------------------------------------------------------------------
# The link as a whole


def _link_version(raw: Mapping[str, str], notices: list[str]) -> int:
    """The link's version; a link without one is read as this version's: links the app wrote before they carried
    a version carried every setting, so only typed addresses lack one, and a typed address means today's defaults."""
    if VERSION_KEY not in raw:
        return LINK_VERSION
    return _parse_int(VERSION_KEY, raw[VERSION_KEY], 1, LINK_VERSION, LINK_VERSION, notices)


def parse_settings(query: Mapping[str, str | Sequence[str]]) -> tuple[Settings, list[str]]:
    """Settings from query strings, clamped to valid ranges, with a notice for every change or rejection."""
    notices: list[str] = []
    raw = {key: _last(value) for key, value in query.items()}
    for key, value in query.items():
        if not isinstance(value, str) and len(value) > 1 and (key in SCHEMA or key == VERSION_KEY):
            notices.append(f"{key} was given {len(value)} times; using the last, {quote_input(raw[key])}.")
    defaults = defaults_for(_link_version(raw, notices))
    hidden = tuple(key for key in HIDEABLE if key + HIDE_SUFFIX in raw and _parse_bool(key + HIDE_SUFFIX, raw[key + HIDE_SUFFIX], False, notices))
    unknown = [key for key in raw if key not in SCHEMA and key != VERSION_KEY and not (key.endswith(HIDE_SUFFIX) and key[: -len(HIDE_SUFFIX)] in HIDEABLE)]
    notices += [f"Ignored unknown setting {quote_input(key)}." for key in unknown[:MAX_NOTICES]]
    if len(unknown) > MAX_NOTICES:
        notices.append(f"Ignored {len(unknown) - MAX_NOTICES:,} more unknown settings.")
    values: dict[str, Any] = {}
    for key, spec in SCHEMA.items():
        default = defaults[key](values) if callable(defaults[key]) else defaults[key]
        read = key in raw and not (spec.custom_only and values["model"] != CUSTOM)
        values[key] = _parse_value(key, raw[key], default, values, notices) if read else default
        if callable(spec.high):  # a default past a rule's limit (r = 8 for a 4×4 W) is brought within it
            values[key] = min(values[key], spec.high(values))
    given = {key: text for key, text in raw.items() if key in SCHEMA}
    for rule in RULES:
        rule(values, given, notices)
    return Settings(**values, hide=hidden), notices


def _as_text(key: str, value: Any) -> str:
    """One setting's value as the URL writes it."""
    kind = SCHEMA[key].kind
    if kind == "bool":
        return "1" if value else "0"
    if kind == "float":
        return format_number(value)
    if kind == "names":
        return ",".join(value)
    return str(value)


def _default_of(settings: Settings, key: str) -> Any:
    """A setting's default in these settings: the targets' default is PEFT's for the chosen model."""
    return default_targets(model_spec(settings)) if key == "targets" else getattr(DEFAULTS, key)


def to_query(settings: Settings, write_defaults: bool | None = None) -> dict[str, str]:
    """The URL query that reproduces these settings exactly: the link version, then every setting (or, with
    write_defaults off, those that differ from their defaults), the custom model's sizes only with model=custom,
    and a flag for each hidden control."""
    every = WRITE_DEFAULTS if write_defaults is None else write_defaults
    query = {VERSION_KEY: str(LINK_VERSION)}
    for key, spec in SCHEMA.items():
        value = getattr(settings, key)
        if spec.custom_only and settings.model != CUSTOM:
            continue
        if every or value != _default_of(settings, key):
            query[key] = _as_text(key, value)
    return query | {key + HIDE_SUFFIX: "1" for key in settings.hide}

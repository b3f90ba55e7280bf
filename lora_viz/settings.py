"""One settings model for every page, parsed from and written to URL query parameters."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields
from typing import Mapping, Sequence

from .example import frame_count
from .models import ALL_LINEAR, CUSTOM, DEFAULT_TARGETS, PRESETS, custom_model, target_names
from .whole_model import METHODS, OPTIMIZERS

MAX_DIM = 131_072
MAX_SEED = 2**31 - 1
MAX_ALPHA = 65_536.0
DTYPES = ("fp32", "fp16", "bf16", "int8", "nf4", "nf4-dq")
NOTATIONS = ("card", "paper")
MODELS = (*PRESETS, CUSTOM)
# Teachers' links depend on these names: keep them stable.
URL_KEYS = (
    "d", "k", "r", "alpha", "dtype", "notation", "seed", "trained", "step",
    "model", "targets", "method", "optimizer", "batch", "seq", "ckpt", "adapters",
    "hidden", "intermediate", "layers", "heads", "kv_heads", "vocab",
    "spectrum", "spectrum_rank", "decay", "noise", "steps", "lr", "trainer",
    "lesson", "present", "image",
)
LESSON_LENGTH = 9  # steps in lora_viz.lesson (a test keeps the two equal)
IMAGE_FORMATS = ("png", "svg")
HIDE_SUFFIX = "_hide"  # d_hide=1 hides the d control, in the manner of TensorFlow Playground's links
# Controls a teacher's link can hide, plus the share box and the page links.
HIDEABLE = tuple(key for key in URL_KEYS if key not in ("present", "image")) + ("share", "pages", "export")
SPECTRA = ("rank", "power", "noise")
TRAINERS = ("adam", "gd")
# (lowest, highest) for the training page's numbers.
FLOAT_RANGES = {"decay": (0.0, 4.0), "noise": (0.0, 2.0), "lr": (1e-5, 1.0)}
CUSTOM_KEYS = ("hidden", "intermediate", "layers", "heads", "kv_heads", "vocab")  # used with model=custom only
# (lowest, highest) for each whole-number setting of the whole-model page.
INT_RANGES = {
    "batch": (1, 1024), "seq": (1, 131_072), "adapters": (1, 100_000),
    "hidden": (1, MAX_DIM), "intermediate": (1, 4 * MAX_DIM), "layers": (1, 1024), "heads": (1, 1024),
    "kv_heads": (1, 1024), "vocab": (1, 1_000_000),
    "spectrum_rank": (1, 48), "steps": (10, 3000),
}


@dataclass(frozen=True)
class Settings:
    """Everything that defines a view; W is d×k, the adapter has rank r."""

    d: int = 4096  # rows of W = output size
    k: int = 4096  # columns of W = input size
    r: int = 8
    alpha: float = 8.0
    dtype: str = "bf16"
    notation: str = "card"
    seed: int = 0
    trained: bool = False
    step: int = 0  # the merge animation's opening frame
    model: str = "llama-2-7b"
    targets: tuple[str, ...] = ("q_proj", "v_proj")
    method: str = "lora"
    optimizer: str = "adamw"
    batch: int = 1
    seq: int = 2048
    ckpt: bool = False  # gradient checkpointing
    adapters: int = 100  # adapters served on one base
    hidden: int = 4096  # the custom model's dimensions (Llama-style)
    intermediate: int = 11008
    layers: int = 32
    heads: int = 32
    kv_heads: int = 32
    vocab: int = 32000
    spectrum: str = "power"  # the training task's ΔW*: exactly rank s, power-law decay, or full-rank noise
    spectrum_rank: int = 4
    decay: float = 1.0
    noise: float = 0.0
    steps: int = 400
    lr: float = 0.02
    trainer: str = "adam"
    lesson: int = 0  # the lesson's step
    present: bool = False  # presentation mode: larger type for projectors
    image: str = "png"  # the format figures download in
    hide: tuple[str, ...] = ()  # controls a teacher's link hides (URL: <key>_hide=1)


DEFAULTS = Settings()


MAX_NOTICES = 10  # a link with thousands of bad values gets ten notices and a count, not a page of them


def quote_input(raw: str, limit: int = 40) -> str:
    """User text for a notice, which pages show as plain text: printable characters only, truncated, in quotes."""
    text = "".join(ch if ch.isprintable() else "?" for ch in str(raw)[: limit + 1])
    if len(text) > limit:
        text = text[:limit] + "…"
    return f"“{text}”"


def capped(notices: list[str], limit: int = MAX_NOTICES) -> list[str]:
    """The first `limit` notices, then one line that counts the rest."""
    if len(notices) <= limit:
        return notices
    return [*notices[:limit], f"… and {len(notices) - limit:,} more."]


def _last(value: str | Sequence[str]) -> str:
    """A query value as one string: repeated keys give the last, as st.query_params does."""
    if isinstance(value, str):
        return value
    return str(value[-1]) if len(value) else ""


def _parse_int(key: str, raw: str, lo: int, hi: int, default: int, notices: list[str]) -> int:
    """Parse a whole number (a finite float is rounded) and clamp it to [lo, hi]."""
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
        notices.append(f"{key}: {quote_input(raw)} is outside {lo:,}…{hi:,}; using {clamped:,}.")
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
    value = raw.strip().lower()
    if value in choices:
        return value
    notices.append(f"{key}: {quote_input(raw)} is not one of {', '.join(choices)}; using {default}.")
    return default


def _parse_bool(key: str, raw: str, default: bool, notices: list[str]) -> bool:
    """Accept 1/0, true/false, yes/no, on/off."""
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    notices.append(f"{key}: {quote_input(raw)} is not 1 or 0; using {int(default)}.")
    return default


def format_number(value: float) -> str:
    """Shortest plain text for a float: 16 not 16.0, 0.5 stays 0.5."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


def parse_settings(query: Mapping[str, str | Sequence[str]]) -> tuple[Settings, list[str]]:
    """Settings from query strings, clamped to valid ranges, with a notice for every change or rejection."""
    notices: list[str] = []
    raw = {key: _last(value) for key, value in query.items()}
    for key, value in query.items():
        if not isinstance(value, str) and len(value) > 1 and key in URL_KEYS:
            notices.append(f"{key} was given {len(value)} times; using the last, {quote_input(raw[key])}.")
    hidden = [key for key in HIDEABLE if key + HIDE_SUFFIX in raw and _parse_bool(key + HIDE_SUFFIX, raw[key + HIDE_SUFFIX], False, notices)]
    unknown = [key for key in raw if key not in URL_KEYS and not (key.endswith(HIDE_SUFFIX) and key[: -len(HIDE_SUFFIX)] in HIDEABLE)]
    notices += [f"Ignored unknown setting {quote_input(key)}." for key in unknown[:MAX_NOTICES]]
    if len(unknown) > MAX_NOTICES:
        notices.append(f"Ignored {len(unknown) - MAX_NOTICES:,} more unknown settings.")
    get = lambda key, fallback: raw.get(key, fallback)  # noqa: E731
    d = _parse_int("d", get("d", str(DEFAULTS.d)), 1, MAX_DIM, DEFAULTS.d, notices)
    k = _parse_int("k", get("k", str(DEFAULTS.k)), 1, MAX_DIM, DEFAULTS.k, notices)
    r_max = min(d, k)
    r = _parse_int("r", get("r", str(min(DEFAULTS.r, r_max))), 1, MAX_DIM, min(DEFAULTS.r, r_max), notices)
    if r > r_max:
        notices.append(f"r: rank {r:,} is larger than min(d, k) = {r_max:,}; using {r_max:,}.")
        r = r_max
    alpha = _parse_float("alpha", get("alpha", format_number(DEFAULTS.alpha)), 1e-3, MAX_ALPHA, DEFAULTS.alpha, notices)
    dtype = _parse_choice("dtype", get("dtype", DEFAULTS.dtype), DTYPES, DEFAULTS.dtype, notices)
    notation = _parse_choice("notation", get("notation", DEFAULTS.notation), NOTATIONS, DEFAULTS.notation, notices)
    seed = _parse_int("seed", get("seed", str(DEFAULTS.seed)), 0, MAX_SEED, DEFAULTS.seed, notices)
    trained = _parse_bool("trained", get("trained", "1" if DEFAULTS.trained else "0"), DEFAULTS.trained, notices)
    step = _parse_int("step", get("step", "0"), 0, frame_count(r) - 1, 0, notices)
    model = _parse_choice("model", get("model", DEFAULTS.model), MODELS, DEFAULTS.model, notices)
    ints = {key: _parse_int(key, get(key, str(getattr(DEFAULTS, key))), *INT_RANGES[key], getattr(DEFAULTS, key), notices)
            for key in INT_RANGES if key not in CUSTOM_KEYS or model == CUSTOM}
    if model == CUSTOM:
        ints["heads"] = _divisor("heads", ints["heads"], ints["hidden"], "hidden", notices)
        ints["kv_heads"] = _divisor("kv_heads", ints["kv_heads"], ints["heads"], "heads", notices)
    settings = Settings(
        d=d, k=k, r=r, alpha=alpha, dtype=dtype, notation=notation, seed=seed, trained=trained, step=step,
        model=model,
        method=_parse_choice("method", get("method", DEFAULTS.method), METHODS, DEFAULTS.method, notices),
        optimizer=_parse_choice("optimizer", get("optimizer", DEFAULTS.optimizer), OPTIMIZERS, DEFAULTS.optimizer, notices),
        ckpt=_parse_bool("ckpt", get("ckpt", "0"), DEFAULTS.ckpt, notices),
        lesson=_parse_int("lesson", get("lesson", "0"), 0, LESSON_LENGTH - 1, 0, notices),
        present=_parse_bool("present", get("present", "0"), False, notices),
        image=_parse_choice("image", get("image", DEFAULTS.image), IMAGE_FORMATS, DEFAULTS.image, notices),
        hide=tuple(key for key in HIDEABLE if key in hidden),
        spectrum=_parse_choice("spectrum", get("spectrum", DEFAULTS.spectrum), SPECTRA, DEFAULTS.spectrum, notices),
        trainer=_parse_choice("trainer", get("trainer", DEFAULTS.trainer), TRAINERS, DEFAULTS.trainer, notices),
        **{key: _parse_float(key, get(key, format_number(getattr(DEFAULTS, key))), *FLOAT_RANGES[key], getattr(DEFAULTS, key), notices)
           for key in FLOAT_RANGES},
        **ints,
    )
    targets = _parse_targets(raw.get("targets"), model_spec(settings), notices)
    return Settings(**{**vars(settings), "targets": targets}), notices


def _divisor(key: str, value: int, whole: int, whole_key: str, notices: list[str]) -> int:
    """value if it divides whole, else the largest divisor of whole below it (attention heads must split evenly)."""
    if whole % value == 0:
        return value
    fitted = next(v for v in range(min(value, whole), 0, -1) if whole % v == 0)
    notices.append(f"{key}: {value:,} does not divide {whole_key} = {whole:,}; using {fitted:,}.")
    return fitted


def _parse_targets(raw: str | None, spec, notices: list[str]) -> tuple[str, ...]:
    """Comma-separated module names of this model, or 'all-linear'; unknown names are dropped with a notice."""
    default = DEFAULT_TARGETS[spec.family]
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


def _first_items(raw: str, count: int) -> tuple[str, int]:
    """The first `count` comma-separated items of raw, and how many follow them (counted, never copied or split:
    a link's list can be long, and only as many names as a model has are worth reading)."""
    end = -1
    for _ in range(count):
        end = raw.find(",", end + 1)
        if end < 0:
            return raw, 0
    return raw[:end], raw.count(",", end)


def model_spec(settings: Settings):
    """The preset, or the custom model built from the typed dimensions."""
    if settings.model == CUSTOM:
        return custom_model(settings.hidden, settings.intermediate, settings.layers, settings.heads, settings.kv_heads, settings.vocab)
    return PRESETS[settings.model]


def to_query(settings: Settings) -> dict[str, str]:
    """The URL query parameters that reproduce these settings exactly (the custom model's sizes only with model=custom)."""
    return {
        "d": str(settings.d),
        "k": str(settings.k),
        "r": str(settings.r),
        "alpha": format_number(settings.alpha),
        "dtype": settings.dtype,
        "notation": settings.notation,
        "seed": str(settings.seed),
        "trained": "1" if settings.trained else "0",
        "step": str(settings.step),
        "model": settings.model,
        "targets": ",".join(settings.targets),
        "method": settings.method,
        "optimizer": settings.optimizer,
        "batch": str(settings.batch),
        "seq": str(settings.seq),
        "ckpt": "1" if settings.ckpt else "0",
        "adapters": str(settings.adapters),
        "spectrum": settings.spectrum,
        "spectrum_rank": str(settings.spectrum_rank),
        "decay": format_number(settings.decay),
        "noise": format_number(settings.noise),
        "steps": str(settings.steps),
        "lr": format_number(settings.lr),
        "trainer": settings.trainer,
        "lesson": str(settings.lesson),
        "present": "1" if settings.present else "0",
        "image": settings.image,
        **{key + HIDE_SUFFIX: "1" for key in settings.hide},
        **({key: str(getattr(settings, key)) for key in CUSTOM_KEYS} if settings.model == CUSTOM else {}),
    }


assert tuple(f.name for f in fields(Settings)) == (*URL_KEYS, "hide")

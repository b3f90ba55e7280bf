"""One settings model for every page, parsed from and written to URL query parameters."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields
from typing import Mapping, Sequence

from .example import frame_count

MAX_DIM = 131_072
MAX_SEED = 2**31 - 1
MAX_ALPHA = 65_536.0
DTYPES = ("fp32", "fp16", "bf16", "int8", "nf4", "nf4-dq")
NOTATIONS = ("card", "paper")
# Teachers' links depend on these names: keep them stable.
URL_KEYS = ("d", "k", "r", "alpha", "dtype", "notation", "seed", "trained", "step")


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


DEFAULTS = Settings()


def quote_input(raw: str, limit: int = 40) -> str:
    """Render user text inertly for a notice: printable only, truncated, markdown escaped."""
    text = "".join(ch if ch.isprintable() else "?" for ch in str(raw))
    if len(text) > limit:
        text = text[:limit] + "…"
    text = re.sub(r"([\\`*_{}\[\]()<>#+\-.!|~$&:])", r"\\\1", text)
    return f"“{text}”"


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
    for key in raw:
        if key not in URL_KEYS:
            notices.append(f"Ignored unknown setting {quote_input(key)}.")
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
    settings = Settings(d=d, k=k, r=r, alpha=alpha, dtype=dtype, notation=notation, seed=seed, trained=trained, step=step)
    return settings, notices


def to_query(settings: Settings) -> dict[str, str]:
    """The URL query parameters that reproduce these settings exactly (every key, always)."""
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
    }


assert tuple(f.name for f in fields(Settings)) == URL_KEYS

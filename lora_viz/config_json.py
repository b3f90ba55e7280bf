"""A pasted config.json read into the custom model's settings, naming every field it used, ignored or could not read.

The values come back as a link would carry them, so `parse_settings` clamps them and says so, exactly as for a
link. Nothing is fetched: the text is all there is. Text longer than a config.json could be is not parsed at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .presets import CUSTOM
from .quoting import quote_input

MAX_CONFIG_CHARS = 64 * 1024  # a model's config.json is a few KB (Llama-3.1-8B's: 826 bytes)
MAX_NAMED = 30  # fields named in the "not used" list before a count

# model_type → layout, and what the layout fixes whatever the config says (transformers' classes).
LAYOUTS = {
    "llama": ("llama", {}),
    "mistral": ("llama", {}),
    "qwen2": ("llama", {"qkv_bias": True}),  # Qwen2Attention: q, k and v with biases, o without
    "qwen3": ("llama", {"qk_norm": True}),  # Qwen3Attention: q_norm and k_norm over each head
    "phi3": ("llama", {"fused": True}),  # Phi3: qkv_proj and gate_up_proj (Phi-3, Phi-4)
    "gpt2": ("gpt2", {}),
}
# config.json field → custom setting, per layout.
FIELDS = {
    "llama": {"hidden_size": "hidden", "intermediate_size": "intermediate", "num_hidden_layers": "layers",
              "num_attention_heads": "heads", "num_key_value_heads": "kv_heads", "vocab_size": "vocab", "head_dim": "head_dim",
              "tie_word_embeddings": "tied"},
    "gpt2": {"n_embd": "hidden", "n_inner": "intermediate", "n_layer": "layers", "n_head": "heads", "vocab_size": "vocab",
             "n_positions": "positions"},
}
REQUIRED = {"llama": ("hidden", "intermediate", "layers", "heads", "vocab"), "gpt2": ("hidden", "layers", "heads", "vocab")}
SWITCHES = ("tied", "qkv_bias", "qk_norm", "fused")
# Fields that would change the counts but that the Llama layout here does not have: a config that sets them is read
# with a notice that its numbers leave them out.
NOT_MODELLED = {"attention_bias": "biases on q, k, v and o", "mlp_bias": "biases in the MLP"}


@dataclass(frozen=True)
class ConfigReading:
    """What a pasted config.json gave: settings as a link would carry them, and what was used, ignored or not read."""

    values: dict[str, str]  # model=custom and the custom sizes; empty when nothing could be used
    model_type: str
    used: tuple[str, ...]  # the config's fields read
    ignored: tuple[str, ...]  # fields present that change nothing here
    notices: tuple[str, ...]  # what could not be read, in plain words


def read_config(text: str) -> ConfigReading:
    """The custom model's settings from a config.json's text (see the module's note)."""
    if len(text) > MAX_CONFIG_CHARS:
        return _nothing(f"The text is {len(text):,} characters; a config.json is a few thousand, so it was not read "
                        f"(at most {MAX_CONFIG_CHARS:,}).")
    try:
        config = json.loads(text)
    except RecursionError:
        return _nothing("The text nests too deeply to be a config.json; it was not read.")
    except ValueError as error:  # JSONDecodeError names the line and column, never the text
        return _nothing(f"Not JSON: {getattr(error, 'msg', 'unreadable')} (line {getattr(error, 'lineno', '?')}, "
                        f"column {getattr(error, 'colno', '?')}).")
    if not isinstance(config, dict):
        return _nothing("A config.json is one JSON object ({ … }); this is not.")
    notices: list[str] = []
    if isinstance(config.get("text_config"), dict) and "hidden_size" not in config:
        notices.append("A config with a text_config (a multimodal model): its text model was read.")
        config = config["text_config"]
    model_type = config.get("model_type")
    if not isinstance(model_type, str) or model_type not in LAYOUTS:
        what = quote_input(model_type) if isinstance(model_type, str) else "missing"
        return _nothing(f"model_type {what}: the layouts read here are {', '.join(LAYOUTS)}; nothing was filled.",
                        model_type if isinstance(model_type, str) else "", notices)
    arch, fixed = LAYOUTS[model_type]
    values: dict[str, str] = {"model": CUSTOM, "arch": arch}
    used = []
    for field, key in FIELDS[arch].items():
        if field not in config or config[field] is None:
            continue
        value = config[field]
        if key in SWITCHES:
            if isinstance(value, bool):
                values[key] = "1" if value else "0"
                used.append(field)
            else:
                notices.append(f"{field}: {_shown(value)} is not true or false; left out.")
        elif isinstance(value, int) and not isinstance(value, bool):
            values[key] = str(value)
            used.append(field)
        else:
            notices.append(f"{field}: {_shown(value)} is not a whole number; left out.")
    missing = [key for key in REQUIRED[arch] if key not in values]
    if missing:
        names = [field for field, key in FIELDS[arch].items() if key in missing]
        return _nothing(f"{', '.join(names)} missing or unreadable: the model cannot be built without "
                        f"{'it' if len(names) == 1 else 'them'}; nothing was filled.", model_type, notices)
    for key, on in fixed.items():
        values[key] = "1" if on else "0"
    if arch == "llama":
        values.setdefault("kv_heads", values["heads"])  # no num_key_value_heads: every head is its own
        values.setdefault("head_dim", "0")
        values.setdefault("tied", "0")  # transformers' Llama, Mistral and Qwen configs default to an untied head
        for key in SWITCHES:
            values.setdefault(key, "0")
    if arch == "gpt2" and "intermediate" not in values:
        values["intermediate"] = str(4 * int(values["hidden"]))  # n_inner null: GPT-2's MLP is 4 × n_embd
    for field, what in NOT_MODELLED.items():
        if config.get(field) is True:
            notices.append(f"{field} is true: {what}, which the layout here does not have; the counts leave them out.")
            used.append(field)
    ignored = tuple(sorted(field for field in config if field not in used and field != "model_type"))
    return ConfigReading(values, model_type, tuple(used), ignored, tuple(notices))


def _shown(value: object) -> str:
    """A config value for a notice: a short scalar quoted, anything else by its kind (never its whole text)."""
    if isinstance(value, (str, int, float, bool)):
        return quote_input(value if isinstance(value, str) else json.dumps(value))
    return "a list" if isinstance(value, list) else "an object"


def _nothing(notice: str, model_type: str = "", notices: list[str] | None = None) -> ConfigReading:
    return ConfigReading({}, model_type, (), (), (*(notices or ()), notice))


def reading_text(reading: ConfigReading) -> list[str]:
    """The reading in plain lines: the family, the fields used, those left aside, and every notice."""
    lines = list(reading.notices)
    if reading.values:
        lines.insert(0, f"Read as {quote_input(reading.model_type)}: {', '.join(reading.used)}.")
        if reading.ignored:
            named = ", ".join(quote_input(field) for field in reading.ignored[:MAX_NAMED])
            more = len(reading.ignored) - MAX_NAMED
            lines.append(f"Not used (they change no count or memory here): {named}" + (f" and {more:,} more." if more > 0 else "."))
    return lines

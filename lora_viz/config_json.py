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
    "gemma3_text": ("llama", {"qk_norm": True, "sandwich": True}),  # Gemma 3's text model (a gemma3 config's text_config)
    "mixtral": ("llama", {"moe_type": "mixtral"}),  # a router and 8 stacked experts per block
    "qwen3_moe": ("llama", {"qk_norm": True, "moe_type": "qwen3_moe"}),  # Qwen3's attention, a router and stacked experts
    "qwen2_moe": ("llama", {"qkv_bias": True, "moe_type": "qwen2_moe"}),  # Qwen2's attention, experts and a shared expert
    "gpt2": ("gpt2", {}),
}
# config.json field → custom setting, per layout, and where a family names a field its own way (None: not used).
FIELDS = {
    "llama": {"hidden_size": "hidden", "intermediate_size": "intermediate", "num_hidden_layers": "layers",
              "num_attention_heads": "heads", "num_key_value_heads": "kv_heads", "vocab_size": "vocab", "head_dim": "head_dim",
              "tie_word_embeddings": "tied"},
    "gpt2": {"n_embd": "hidden", "n_inner": "intermediate", "n_layer": "layers", "n_head": "heads", "vocab_size": "vocab",
             "n_positions": "positions"},
}
FAMILY_FIELDS = {
    "mixtral": {"num_local_experts": "experts", "num_experts_per_tok": "experts_per_token"},
    # Qwen3-MoE's experts are moe_intermediate_size wide; its intermediate_size is for dense layers, which it has none of
    "qwen3_moe": {"intermediate_size": None, "moe_intermediate_size": "intermediate", "num_experts": "experts",
                  "num_experts_per_tok": "experts_per_token"},
    "qwen2_moe": {"intermediate_size": None, "moe_intermediate_size": "intermediate", "num_experts": "experts",
                  "num_experts_per_tok": "experts_per_token", "shared_expert_intermediate_size": "shared_expert"},
}
# What transformers' configuration class fills in for a field a config.json leaves out (Gemma 3's text_config
# gives little more than its sizes), as text a link carries.
FAMILY_DEFAULTS = {
    "gemma3_text": {"heads": "8", "kv_heads": "4", "head_dim": "256", "vocab": "262208", "tied": "1"},
    "mixtral": {"experts": "8", "experts_per_token": "2"},
    "qwen3_moe": {"intermediate": "768", "experts": "128", "experts_per_token": "8"},
    "qwen2_moe": {"intermediate": "1408", "experts": "60", "experts_per_token": "4", "shared_expert": "5632"},
}
REQUIRED = {"llama": ("hidden", "intermediate", "layers", "heads", "vocab"), "gpt2": ("hidden", "layers", "heads", "vocab")}
SWITCHES = ("tied", "qkv_bias", "qk_norm", "fused", "sandwich")
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
    fields = {**FIELDS[arch], **FAMILY_FIELDS.get(model_type, {})}
    for field, key in fields.items():
        if key is None or field not in config or config[field] is None:
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
    defaults = {key: value for key, value in FAMILY_DEFAULTS.get(model_type, {}).items() if key not in values}
    if defaults:
        values.update(defaults)
        notices.append(f"Not in the config, so transformers' defaults for {model_type}: "
                       + ", ".join(f"{_field(fields, key)} {_default_shown(key, value)}" for key, value in defaults.items()) + ".")
    missing = [key for key in REQUIRED[arch] if key not in values]
    if missing:
        names = [field for field, key in fields.items() if key in missing]
        return _nothing(f"{', '.join(names)} missing or unreadable: the model cannot be built without "
                        f"{'it' if len(names) == 1 else 'them'}; nothing was filled.", model_type, notices)
    for key, value in fixed.items():
        values[key] = ("1" if value else "0") if isinstance(value, bool) else value
    if arch == "llama":
        values.setdefault("kv_heads", values["heads"])  # no num_key_value_heads: every head is its own
        values.setdefault("head_dim", "0")
        values.setdefault("tied", "0")  # transformers' Llama, Mistral and Qwen configs default to an untied head
        for key in SWITCHES:
            values.setdefault(key, "0")
        values.setdefault("experts", "0")  # a dense MLP
        values.setdefault("shared_expert", "0")
    if arch == "gpt2" and "intermediate" not in values:
        values["intermediate"] = str(4 * int(values["hidden"]))  # n_inner null: GPT-2's MLP is 4 × n_embd
    for field, what in NOT_MODELLED.items():
        if config.get(field) is True:
            notices.append(f"{field} is true: {what}, which the layout here does not have; the counts leave them out.")
            used.append(field)
    if model_type in ("qwen3_moe", "qwen2_moe"):
        notices += _qwen_moe_notices(config, used, renormalised=model_type == "qwen3_moe")
    if "experts" in values and values["experts"] == "0":
        notices.append("No experts: read as a dense model.")
    ignored = tuple(sorted(field for field in config if field not in used and field != "model_type"))
    return ConfigReading(values, model_type, tuple(used), ignored, tuple(notices))


def _qwen_moe_notices(config: dict, used: list[str], renormalised: bool) -> list[str]:
    """Where a Qwen-MoE config departs from the released model its layout follows (Qwen3-30B-A3B renormalises the top
    k's weights, Qwen1.5-MoE-A2.7B does not): dense layers among the sparse ones, and norm_topk_prob the other way,
    which changes a few bytes per token."""
    notices = []
    if config.get("decoder_sparse_step", 1) != 1 or config.get("mlp_only_layers"):
        notices.append("decoder_sparse_step or mlp_only_layers make some layers dense: every layer is read as a mixture "
                       "of experts here, so the counts are not exact for this model.")
        used += [field for field in ("decoder_sparse_step", "mlp_only_layers") if field in config]
    if "norm_topk_prob" in config and config["norm_topk_prob"] is not renormalised:
        notices.append(f"norm_topk_prob is {str(not renormalised).lower()}: the activations here count the top k's weights "
                       f"{'renormalised' if renormalised else 'as they come'}, as the released model does: 4·(k + 1) bytes "
                       "per token and layer apart.")
        used.append("norm_topk_prob")
    return notices


def _default_shown(key: str, value: str) -> str:
    """A default as config.json would write it: a switch as true or false, a size as a number."""
    return ("true" if value == "1" else "false") if key in SWITCHES else value


def _field(fields: dict[str, str | None], key: str) -> str:
    """The config.json field that fills a setting (the last one naming it)."""
    return [field for field, named in fields.items() if named == key][-1]


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

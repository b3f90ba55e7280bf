"""A pasted config.json: each family's config reproduces its preset's numbers, and hostile text never breaks a page."""

from __future__ import annotations

import json

from hypothesis import given, settings, strategies as st

from lora_viz.config_json import MAX_CONFIG_CHARS, MAX_NAMED, read_config, reading_text
from lora_viz.model.budget import model_counts, training_bytes
from lora_viz.presets import PRESETS, total_params
from lora_viz.settings import CUSTOM_KEYS, model_spec, parse_settings

# Each preset's config.json, the fields that matter as the published files have them (and a few that do not).
CONFIGS = {
    "llama-3.1-8b": {"architectures": ["LlamaForCausalLM"], "attention_bias": False, "hidden_size": 4096, "intermediate_size": 14336,
                     "mlp_bias": False, "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 32,
                     "num_key_value_heads": 8, "rope_theta": 500000.0, "tie_word_embeddings": False, "vocab_size": 128256},
    "llama-3.2-1b": {"head_dim": 64, "hidden_size": 2048, "intermediate_size": 8192, "model_type": "llama", "num_attention_heads": 32,
                     "num_hidden_layers": 16, "num_key_value_heads": 8, "tie_word_embeddings": True, "vocab_size": 128256},
    "llama-3.2-3b": {"head_dim": 128, "hidden_size": 3072, "intermediate_size": 8192, "model_type": "llama", "num_attention_heads": 24,
                     "num_hidden_layers": 28, "num_key_value_heads": 8, "tie_word_embeddings": True, "vocab_size": 128256},
    "qwen2.5-7b": {"hidden_size": 3584, "intermediate_size": 18944, "model_type": "qwen2", "num_attention_heads": 28,
                   "num_hidden_layers": 28, "num_key_value_heads": 4, "sliding_window": 131072, "tie_word_embeddings": False,
                   "vocab_size": 152064},
    "qwen3-4b": {"head_dim": 128, "hidden_size": 2560, "intermediate_size": 9728, "model_type": "qwen3", "num_attention_heads": 32,
                 "num_hidden_layers": 36, "num_key_value_heads": 8, "tie_word_embeddings": True, "vocab_size": 151936},
    "qwen3-32b": {"head_dim": 128, "hidden_size": 5120, "intermediate_size": 25600, "model_type": "qwen3", "num_attention_heads": 64,
                  "num_hidden_layers": 64, "num_key_value_heads": 8, "tie_word_embeddings": False, "vocab_size": 151936},
    "mistral-nemo-12b": {"head_dim": 128, "hidden_size": 5120, "intermediate_size": 14336, "model_type": "mistral",
                         "num_attention_heads": 32, "num_hidden_layers": 40, "num_key_value_heads": 8, "vocab_size": 131072},
    "mistral-7b": {"hidden_size": 4096, "intermediate_size": 14336, "model_type": "mistral", "num_attention_heads": 32,
                   "num_hidden_layers": 32, "num_key_value_heads": 8, "sliding_window": 4096, "vocab_size": 32000},
    "llama-2-7b": {"hidden_size": 4096, "intermediate_size": 11008, "model_type": "llama", "num_attention_heads": 32,
                   "num_hidden_layers": 32, "num_key_value_heads": 32, "vocab_size": 32000},
    "phi-4": {"architectures": ["Phi3ForCausalLM"], "hidden_size": 5120, "intermediate_size": 17920, "model_type": "phi3",
              "num_attention_heads": 40, "num_hidden_layers": 40, "num_key_value_heads": 10, "tie_word_embeddings": False,
              "vocab_size": 100352, "resid_pdrop": 0.0},
    "phi-4-mini": {"hidden_size": 3072, "intermediate_size": 8192, "model_type": "phi3", "num_attention_heads": 24,
                   "num_hidden_layers": 32, "num_key_value_heads": 8, "partial_rotary_factor": 0.75, "tie_word_embeddings": True,
                   "vocab_size": 200064},
    # Gemma 3's released configs are multimodal; their text_config gives little more than the sizes, and transformers
    # fills the rest (heads, head_dim 256, the vocabulary, a tied head) from Gemma3TextConfig's defaults.
    "gemma-3-4b": {"architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3", "mm_tokens_per_image": 256,
                   "text_config": {"hidden_size": 2560, "intermediate_size": 10240, "model_type": "gemma3_text",
                                   "num_hidden_layers": 34, "rope_scaling": {"factor": 8.0, "rope_type": "linear"},
                                   "sliding_window": 1024}, "vision_config": {"hidden_size": 1152, "model_type": "siglip_vision_model"}},
    "gemma-3-12b": {"model_type": "gemma3", "text_config": {"hidden_size": 3840, "intermediate_size": 15360, "model_type": "gemma3_text",
                                                            "num_attention_heads": 16, "num_hidden_layers": 48, "num_key_value_heads": 8,
                                                            "sliding_window": 1024}},
    "gemma-3-27b": {"model_type": "gemma3", "text_config": {"head_dim": 128, "hidden_size": 5376, "intermediate_size": 21504,
                                                            "model_type": "gemma3_text", "num_attention_heads": 32, "num_hidden_layers": 62,
                                                            "num_key_value_heads": 16, "query_pre_attn_scalar": 168}},
    "mixtral-8x7b": {"architectures": ["MixtralForCausalLM"], "hidden_size": 4096, "intermediate_size": 14336, "model_type": "mixtral",
                     "num_attention_heads": 32, "num_experts_per_tok": 2, "num_hidden_layers": 32, "num_key_value_heads": 8,
                     "num_local_experts": 8, "router_aux_loss_coef": 0.02, "tie_word_embeddings": False, "vocab_size": 32000},
    "qwen3-30b-a3b": {"architectures": ["Qwen3MoeForCausalLM"], "decoder_sparse_step": 1, "head_dim": 128, "hidden_size": 2048,
                      "intermediate_size": 6144, "mlp_only_layers": [], "model_type": "qwen3_moe", "moe_intermediate_size": 768,
                      "norm_topk_prob": True, "num_attention_heads": 32, "num_experts": 128, "num_experts_per_tok": 8,
                      "num_hidden_layers": 48, "num_key_value_heads": 4, "tie_word_embeddings": False, "vocab_size": 151936},
    "qwen1.5-moe-a2.7b": {"architectures": ["Qwen2MoeForCausalLM"], "decoder_sparse_step": 1, "hidden_size": 2048,
                          "intermediate_size": 5632, "model_type": "qwen2_moe", "moe_intermediate_size": 1408,
                          "norm_topk_prob": False, "num_attention_heads": 16, "num_experts": 60, "num_experts_per_tok": 4,
                          "num_hidden_layers": 24, "num_key_value_heads": 16, "shared_expert_intermediate_size": 5632,
                          "tie_word_embeddings": False, "vocab_size": 151936},
    "gpt2": {"model_type": "gpt2", "n_embd": 768, "n_head": 12, "n_inner": None, "n_layer": 12, "n_positions": 1024,
             "vocab_size": 50257, "resid_pdrop": 0.1},
}


def opened(config: dict, **more: str):
    """The settings a pasted config opens, and the notices its link's values gave."""
    reading = read_config(json.dumps(config))
    return parse_settings({**reading.values, **more})


def test_each_familys_config_reproduces_its_presets_numbers():
    for key, config in CONFIGS.items():
        s, notices = opened(config, targets="all-linear", method="qlora")
        spec, preset = model_spec(s), PRESETS[key]
        assert not notices and s.model == "custom", (key, notices)
        assert total_params(spec) == total_params(preset), key
        for r in (1, 8, 64):
            assert model_counts(spec, r, ("all-linear",)).trainable == model_counts(preset, r, ("all-linear",)).trainable, key
        mine = training_bytes(spec, 16, ("all-linear",), "qlora", "bf16", "adamw", 1, 2048, False)
        theirs = training_bytes(preset, 16, ("all-linear",), "qlora", "bf16", "adamw", 1, 2048, False)
        assert mine.peak.bytes == theirs.peak.bytes, key


def test_the_reading_names_what_it_used_and_what_it_left_aside():
    reading = read_config(json.dumps(CONFIGS["qwen2.5-7b"]))
    assert reading.values["qkv_bias"] == "1" and reading.values["qk_norm"] == "0"  # Qwen2's layout, whatever the config says
    lines = reading_text(reading)
    assert lines[0].startswith("Read as “qwen2”: hidden_size") and "“sliding_window”" in lines[-1]


def test_a_multimodal_configs_text_model_is_read():
    reading = read_config(json.dumps({"model_type": "llava", "text_config": CONFIGS["llama-3.1-8b"]}))
    assert reading.values["hidden"] == "4096" and "text_config" in reading.notices[0]


def test_fields_the_layout_does_not_have_are_said_to_be_left_out_of_the_counts():
    reading = read_config(json.dumps({**CONFIGS["llama-3.1-8b"], "attention_bias": True}))
    assert reading.values and any("attention_bias is true" in notice for notice in reading.notices)


def test_what_cannot_be_read_gets_a_plain_notice_and_fills_nothing():
    cases = {
        "": "Not JSON", "{": "Not JSON", "[1, 2]": "one JSON object", '{"model_type": "gemma3"}': "“gemma3”",
        '{"model_type": "llama"}': "missing", '{"model_type": "llama", "hidden_size": true}': "not a whole number",
        "[" * 5000 + "]" * 5000: "nests too deeply", " " * (MAX_CONFIG_CHARS + 1): "was not read",
    }
    for text, said in cases.items():
        reading = read_config(text)
        assert not reading.values and any(said in notice for notice in reading.notices), (text[:30], reading.notices)


def test_absurd_sizes_are_clamped_with_a_notice_like_a_links():
    s, notices = opened({**CONFIGS["llama-2-7b"], "hidden_size": 10**30, "num_hidden_layers": -4})
    assert s.hidden <= 1_048_576 and s.layers == 1 and len(notices) >= 2


def test_a_long_list_of_fields_is_named_in_part_and_counted():
    config = {**CONFIGS["gpt2"], **{f"field_{i}": i for i in range(500)}}
    last = reading_text(read_config(json.dumps(config)))[-1]
    assert last.count("“field_") == MAX_NAMED and "more." in last


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
                    max_leaves=30)
FIELD_VALUES = st.none() | st.booleans() | st.integers(-10**40, 10**40) | st.floats() | st.text(max_size=30) | st.lists(st.integers(), max_size=3)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_gives_a_reading_and_never_raises(text):
    reading = read_config(text)
    assert set(reading.values) <= {"model", *CUSTOM_KEYS}
    assert all(line.isprintable() for line in reading_text(reading))


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_any_json_gives_a_reading_and_never_raises(value):
    reading_text(read_config(json.dumps(value)))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(CONFIGS)), st.dictionaries(st.sampled_from(
    ["hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "vocab_size",
     "head_dim", "tie_word_embeddings", "n_embd", "n_head", "n_layer", "n_inner", "n_positions", "model_type", "num_local_experts",
     "num_experts", "num_experts_per_tok", "moe_intermediate_size", "decoder_sparse_step", "mlp_only_layers", "norm_topk_prob",
     "shared_expert_intermediate_size"]),
    FIELD_VALUES, max_size=5))
def test_a_config_with_hostile_values_opens_a_model_or_says_why_not(key, changes):
    reading = read_config(json.dumps({**CONFIGS[key], **changes}, default=str))
    if reading.values:  # whatever got through is read like a link: clamped, with notices, and the model builds
        s, _ = parse_settings(reading.values)
        spec = model_spec(s)
        assert total_params(spec) > 0 and spec.hidden >= 1
    else:
        assert reading.notices


def test_gemmas_short_text_config_is_filled_with_transformers_defaults_and_says_so():
    reading = read_config(json.dumps(CONFIGS["gemma-3-4b"]))
    assert (reading.values["heads"], reading.values["head_dim"], reading.values["vocab"], reading.values["tied"]) == ("8", "256", "262208", "1")
    assert any("transformers' defaults for gemma3_text: num_attention_heads 8" in n and "tie_word_embeddings true" in n
               for n in reading.notices)
    assert reading.values["sandwich"] == "1" and reading.values["experts"] == "0"


def test_a_mixture_of_experts_reads_its_experts_and_qwen3_moes_expert_width():
    mixtral = read_config(json.dumps(CONFIGS["mixtral-8x7b"])).values
    assert (mixtral["experts"], mixtral["experts_per_token"], mixtral["intermediate"]) == ("8", "2", "14336")
    qwen = read_config(json.dumps(CONFIGS["qwen3-30b-a3b"]))
    assert (qwen.values["experts"], qwen.values["experts_per_token"], qwen.values["intermediate"]) == ("128", "8", "768")
    assert "intermediate_size" in qwen.ignored  # the width of dense layers, which Qwen3-30B-A3B has none of
    qwen2 = read_config(json.dumps(CONFIGS["qwen1.5-moe-a2.7b"])).values
    assert (qwen2["shared_expert"], qwen2["moe_type"], qwen2["qkv_bias"]) == ("5632", "qwen2_moe", "1")


def test_a_qwen3_moe_config_unlike_qwen3_30b_a3b_says_where_the_numbers_stop_being_exact():
    reading = read_config(json.dumps({**CONFIGS["qwen3-30b-a3b"], "mlp_only_layers": [0, 1], "norm_topk_prob": False}))
    assert reading.values and any("mlp_only_layers" in n for n in reading.notices) and any("norm_topk_prob" in n for n in reading.notices)


"""Gemma 3 and the mixtures of experts: what they add to one model description, and what the app says about them.

Counts against PEFT and activations against the measured bytes are in test_whole_model.py and test_activations.py
(tests/golden); these tests pin the rules in between and what the page, the export and a link do with them."""

from __future__ import annotations

import ast

from harness.pages import open_page
from lora_viz.export import lora_config_snippet
from lora_viz.model.activations import saved_for_backward
from lora_viz.model.budget import base_weight_bytes, model_counts, training_bytes
from lora_viz.model.text import experts_lines
from lora_viz.model.view import model_view
from lora_viz.presets import ALL_LINEAR, PRESETS, active_params, adapter_ranks, custom_model, peft_targets, total_params
from lora_viz.settings import parse_settings

MIXTRAL, QWEN_MOE, GEMMA = PRESETS["mixtral-8x7b"], PRESETS["qwen3-30b-a3b"], PRESETS["gemma-3-12b"]
QWEN2_MOE = PRESETS["qwen1.5-moe-a2.7b"]


def test_a_mixture_of_experts_runs_each_token_through_k_of_its_experts():
    """Mixtral-8x7B: 46.7B parameters, 12.9B a token runs through; Qwen3-30B-A3B: 30.5B and 3.3B ("A3B")."""
    assert (total_params(MIXTRAL), active_params(MIXTRAL)) == (46_702_792_704, 12_879_925_248)
    assert (total_params(QWEN_MOE), active_params(QWEN_MOE)) == (30_532_122_624, 3_353_032_704)
    assert active_params(GEMMA) == total_params(GEMMA)  # dense: every parameter is active
    # Qwen1.5-MoE-A2.7B: 14.3B, and 2.7B with its shared expert, which every token runs through
    assert (total_params(QWEN2_MOE), active_params(QWEN2_MOE)) == (14_315_784_192, 2_689_173_504)


def test_all_linear_joins_gate_and_up_at_rank_2r_as_peft_maps_transformers_4s_names():
    assert adapter_ranks(MIXTRAL, 8, (ALL_LINEAR,))["gate_up_proj"] == 16
    assert adapter_ranks(MIXTRAL, 8, ("gate_up_proj", "down_proj")) == {"gate_up_proj": 8, "down_proj": 8}
    assert adapter_ranks(GEMMA, 8, (ALL_LINEAR,))["up_proj"] == 8  # a dense model's are all r
    # Qwen2-MoE: PEFT does not map all-linear onto its experts, so it reaches attention and the shared expert only
    assert set(adapter_ranks(QWEN2_MOE, 8, (ALL_LINEAR,))) == {"q_proj", "k_proj", "v_proj", "o_proj", "shared_expert.gate_proj",
                                                                "shared_expert.up_proj", "shared_expert.down_proj", "shared_expert_gate"}
    # r·E·(in + out) per stacked parameter: E adapters of rank r, one per expert
    experts = model_counts(MIXTRAL, 8, ("gate_up_proj", "down_proj")).trainable
    assert experts == 32 * 8 * 8 * ((4096 + 2 * 14336) + (14336 + 4096)) == 104_857_600  # PEFT's (tests/golden)


def test_stacked_experts_go_to_peft_as_target_parameters():
    assert peft_targets(MIXTRAL, ("q_proj", "gate", "down_proj")) == (["q_proj"], ["mlp.gate.weight", "mlp.experts.down_proj"])
    assert peft_targets(MIXTRAL, (ALL_LINEAR,)) == (ALL_LINEAR, [])
    assert peft_targets(GEMMA, ("q_proj", "v_proj")) == (["q_proj", "v_proj"], [])
    s, _ = parse_settings({"model": "qwen3-30b-a3b", "targets": "q_proj,gate_up_proj,down_proj"})
    snippet = lora_config_snippet(s)
    ast.parse(snippet)
    assert 'target_modules=["q_proj"]' in snippet
    assert 'target_parameters=["mlp.experts.gate_up_proj", "mlp.experts.down_proj"]' in snippet


def test_peft_takes_no_dropout_on_wrapped_parameters_so_a_link_asking_for_it_gets_zero_and_a_notice():
    s, notices = parse_settings({"model": "mixtral-8x7b", "targets": "q_proj,down_proj", "lora_dropout": "0.05"})
    assert s.lora_dropout == 0.0 and any("take no dropout" in n and "down_proj" in n for n in notices)
    s, notices = parse_settings({"model": "mixtral-8x7b", "targets": "q_proj,v_proj", "lora_dropout": "0.05"})
    assert s.lora_dropout == 0.05 and not notices  # attention's adapters are ordinary layers
    s, notices = parse_settings({"model": "qwen1.5-moe-a2.7b", "targets": "all-linear", "lora_dropout": "0.05"})
    assert s.lora_dropout == 0.05 and not notices  # all-linear wraps no parameter in Qwen2-MoE


def test_a_custom_mixture_routes_a_token_to_at_most_all_its_experts():
    s, notices = parse_settings({"model": "custom", "experts": "4", "experts_per_token": "9", "hidden": "256",
                                 "intermediate": "688", "heads": "4", "kv_heads": "2", "layers": "2", "vocab": "1000"})
    assert s.experts_per_token == 4 and any("more than the 4 experts" in n for n in notices)
    dense = custom_model(256, 688, 2, 4, 2, 1000, experts=0, experts_per_token=8)
    assert not dense.moe and dense.experts_per_token == 0


def test_bitsandbytes_quantises_linear_layers_only_so_experts_stay_16_bit_in_qlora():
    """Mixtral's attention is 4-bit; its experts (most of its weights) stay bf16 as loaded, fp32 once prepared."""
    lora = base_weight_bytes(MIXTRAL, "lora", "bf16")
    as_loaded = base_weight_bytes(MIXTRAL, "qlora", "bf16", prepared=False)
    prepared = base_weight_bytes(MIXTRAL, "qlora", "bf16", prepared=True)
    experts = 32 * 8 * 3 * 4096 * 14336
    assert lora - as_loaded < 0.05 * lora  # 4-bit attention saves under 5% of Mixtral's weights
    assert prepared - as_loaded > 2 * experts  # prepare_model_for_kbit_training casts the experts to fp32


def test_adapting_the_experts_keeps_a_merged_copy_of_each_stack_for_backward():
    """PEFT merges W + B·A on every forward; the grouped product keeps the merged stack (and its input) for backward."""
    args = ("lora", "bf16", "mixed", "sdpa", 1, 512, False)
    attention = saved_for_backward(MIXTRAL, 8, ("q_proj", "v_proj"), *args).layer
    experts = saved_for_backward(MIXTRAL, 8, ("q_proj", "v_proj", "down_proj"), *args).layer
    stack = 8 * 4096 * 14336 * 2  # down_proj's eight experts, bf16
    pairs_input = 512 * 2 * 14336 * 2  # its input: 512 tokens × 2 experts each, bf16
    adapters = 8 * 8 * (4096 + 14336) * 2  # B and A cast from fp32 to the stack's bf16
    assert experts - attention == stack + pairs_input + adapters
    checkpointed = training_bytes(MIXTRAL, 8, ("down_proj",), "lora", "bf16", "adamw", 1, 512, True).activations
    plain = training_bytes(MIXTRAL, 8, ("down_proj",), "lora", "bf16", "adamw", 1, 512, False).activations
    assert plain - checkpointed > 30 * stack  # checkpointing keeps one layer's merged stack, not 32


def test_gemmas_sandwich_norms_add_two_norms_a_block_and_keep_their_fp32_inputs():
    """Four RMSNorms per block (two more than Llama's), each keeping its fp32 input, 1/rms and its fp32 (1 + w)."""
    assert total_params(GEMMA) == 11_766_034_176 and GEMMA.tied
    plain = custom_model(3840, 15360, 48, 16, 8, 262208, head_dim=256, tied=True, qk_norm=True)
    t, h = 512, 3840
    gemma_layer = saved_for_backward(GEMMA, 8, ("q_proj", "v_proj"), "lora", "bf16", "mixed", "sdpa", 1, t, False).layer
    plain_layer = saved_for_backward(plain, 8, ("q_proj", "v_proj"), "lora", "bf16", "mixed", "sdpa", 1, t, False).layer
    norms = 2 * (t * h * 4 + t * 4) + 4 * h * 4 + 2 * 256 * 4
    assert gemma_layer - plain_layer == norms


def test_the_experts_lines_say_total_against_active_and_why_loras_saving_looks_different():
    s, _ = parse_settings({"model": "mixtral-8x7b", "targets": "all-linear", "method": "qlora"})
    text = " ".join(experts_lines(s, model_view(s)))
    assert "46,702,792,704" in text and "12,879,925,248" in text and "27.6%" in text
    assert "merges each adapted stack" in text and "nn.Linear layers only" in text
    s, _ = parse_settings({"model": "gemma-3-12b"})
    assert experts_lines(s, model_view(s)) == []


def test_whole_model_page_shows_a_mixture_of_experts_total_and_active_with_peft_s_count():
    at = open_page("pages/whole_model.py", {"model": "mixtral-8x7b", "method": "lora", "r": "8", "targets": "all-linear"})
    text = " ".join(m.value for m in at.markdown)
    assert not at.exception and "A mixture of experts: total and active parameters" in text
    assert "all params: 46,882,625,536" in text  # PEFT's count (tests/golden/peft_counts.json)
    assert "gate_up_proj ×32×8 experts (28,672 × 4,096)" in text
    assert "r·(in + out) per targeted layer, 8 times for a stack of experts, r = 8 (16 on gate_up_proj)" in [m.delta for m in at.metric]


def test_whole_model_page_opens_gemma_3_and_says_what_its_block_adds():
    at = open_page("pages/whole_model.py", {"model": "gemma-3-12b", "method": "lora", "r": "8", "targets": "all-linear"})
    text = " ".join(m.value for m in at.markdown)
    assert not at.exception and "all params: 11,798,769,408" in text  # PEFT's count
    assert "four RMSNorms" in text and "GeGLU" in text and "A mixture of experts" not in text


def test_a_shared_expert_is_targeted_by_its_two_part_names_and_exported_as_modules():
    assert model_counts(QWEN2_MOE, 8, ("shared_expert.down_proj",)).trainable == 24 * 8 * (5632 + 2048)
    s, notices = parse_settings({"model": "qwen1.5-moe-a2.7b", "targets": "shared_expert.up_proj,gate"})
    assert not notices and s.targets == ("gate", "shared_expert.up_proj")
    snippet = lora_config_snippet(s)
    assert 'target_modules=["shared_expert.up_proj"]' in snippet and 'target_parameters=["mlp.gate.weight"]' in snippet


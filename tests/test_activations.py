"""Activations: the derivation equals what PyTorch saved in real transformers forward passes (golden file written by
tools/measure_activations.py with torch, transformers, PEFT and bitsandbytes), and the page's verdicts rest on it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from lora_viz.model.activations import MEASURED_WITH, saved_for_backward
from lora_viz.names import PRECISIONS
from lora_viz.model.budget import training_bytes
from lora_viz.presets import ALL_LINEAR, PRESETS, ModelSpec, target_names
from lora_viz.model.text import activation_rows, card_table, checkpointing_alternative
from lora_viz.numbers.memory import card_by_key, fit_verdict

GOLDEN = json.loads((Path(__file__).parent / "golden" / "activations.json").read_text())
DORA = json.loads((Path(__file__).parent / "golden" / "activations_dora.json").read_text())
CASES = GOLDEN["cases"] + DORA["cases"]

# The measured models' sizes (tools/measure_activations.py: config).
SMALL = {
    "llama": ModelSpec("small", "small", "llama", 256, 688, 1, 4, 2, 1000),
    "gpt2": ModelSpec("small", "small", "gpt2", 256, 1024, 1, 4, 4, 1000, positions=256),
    "opt": ModelSpec("small", "small", "opt", 256, 1024, 1, 4, 4, 1000, positions=256),
    "bert": ModelSpec("small", "small", "bert", 256, 1024, 1, 4, 4, 1000, positions=256),
}


# Llama's layout as the newer families change it (tools/measure_activations.py: _released): Qwen2's q, k and v biases;
# Qwen3's q/k norms, a head_dim apart from hidden ÷ heads, and a tied head.
LAYOUTS = {
    "qwen2": ModelSpec("small", "small", "llama", 256, 688, 1, 4, 2, 1000, qkv_bias=True),
    "qwen3": ModelSpec("small", "small", "llama", 256, 688, 1, 4, 2, 1000, head_size=96, tied=True, qk_norm=True),
    "phi3": ModelSpec("small", "small", "llama", 256, 688, 1, 4, 2, 1000, fused=True),
    "gemma3": ModelSpec("small", "small", "llama", 256, 688, 1, 4, 2, 1000, head_size=96, tied=True, qk_norm=True, sandwich=True),
    "mixtral": ModelSpec("small", "small", "llama", 256, 688, 1, 4, 2, 1000, experts=4, experts_per_token=2),
    "qwen3_moe": ModelSpec("small", "small", "llama", 256, 176, 1, 4, 2, 1000, head_size=96, qk_norm=True, experts=8,
                           experts_per_token=2, moe_type="qwen3_moe"),
    "qwen2_moe": ModelSpec("small", "small", "llama", 256, 176, 1, 4, 2, 1000, qkv_bias=True, experts=8, experts_per_token=2,
                           moe_type="qwen2_moe", shared_expert=344),
}


def _derived(case: dict, layers: int):
    spec = dataclasses.replace((SMALL | LAYOUTS)[case["family"]], layers=layers)
    targets = (ALL_LINEAR,) if case["targets"] == ALL_LINEAR else tuple(case["targets"].split(","))
    return saved_for_backward(spec, 8, targets, case["method"], "bf16", case["precision"], case["attention"], case["batch"],
                              case["seq"], case["checkpointing"], case["prepared"], device="cpu",
                              lora_dropout=case.get("lora_dropout", 0.0), model_dropout=case.get("model_dropout", True),
                              padded=case.get("padded", False), qlora_recipe=case.get("qlora_recipe", "peft"),
                              variant=case.get("variant", "lora"))


def _what_the_hooks_see(case: dict, layers: int) -> int:
    """Without checkpointing, everything. With it, the hooks see what lies outside the checkpoints and each
    checkpoint's input, but not the rotary tables a checkpoint holds in its closure (they are in memory all the same).
    GPT-2 with DoRA in pure bf16: the hooks also keep each target's W + ΔW alive (_hooks_keep_dora_norm_inputs)."""
    a = _derived(case, layers)
    if not case["checkpointing"]:
        return a.total + _hooks_keep_dora_norm_inputs(case, layers)
    rope = sum(part.bytes for part in a.outside if part.what == "rotary cos and sin")
    return a.outside_bytes - rope + a.checkpoints


def _hooks_keep_dora_norm_inputs(case: dict, layers: int) -> int:
    """GPT-2's Conv1D under DoRA in pure bf16: PEFT wraps the transposed W in a new Parameter, so the norm of W + ΔW
    records its input (out × in, bf16) for a graph the forward drops. Under saved_tensors_hooks that record outlives
    the step; without hooks it is freed with the forward (checked with a dispatch mode's weak references: none of five
    steps' W + ΔW was alive after its step), and torch.profiler's peaks (tests/test_peak.py) agree. So the app leaves
    it out, and the measurement has it."""
    if case.get("variant") != "dora" or case["family"] != "gpt2" or case["precision"] != "pure":
        return 0
    h, i = SMALL["gpt2"].hidden, SMALL["gpt2"].intermediate
    per_layer = {"c_attn": 3 * h * h} if case["targets"] == "c_attn" else {"c_attn": 3 * h * h, "attn.c_proj": h * h,
                                                                            "c_fc": h * i, "mlp.c_proj": i * h}
    return layers * sum(per_layer.values()) * 2


def _name(case: dict) -> str:
    return "-".join(str(case[k]) for k in ("family", "attention", "method", "precision", "batch", "seq", "targets")) + (
        "-ckpt" if case["checkpointing"] else "") + ("" if case["prepared"] or case["method"] != "qlora" else "-loaded") + (
        f"-dropout{case['lora_dropout']}" if case.get("lora_dropout") else "") + (
        "" if case.get("model_dropout", True) else "-model-dropout-off") + ("-padded" if case.get("padded") else "") + (
        "-paper" if case.get("qlora_recipe") == "paper" else "") + ("-" + case["variant"] if "variant" in case else "")


@pytest.mark.parametrize("case", CASES, ids=[_name(c) for c in CASES])
def test_derivation_equals_the_measured_bytes(case):
    """Exact, with one and with two layers: so one layer, the first layer and what lies outside all agree."""
    assert (_what_the_hooks_see(case, 1), _what_the_hooks_see(case, 2)) == (case["layers_1"], case["layers_2"])


def test_dora_is_measured_on_every_family_precision_and_its_switches():
    grid = {(c["family"], c["method"], c["precision"], bool(c["lora_dropout"])) for c in DORA["cases"]}
    assert grid >= {(f, "lora", p, dropout) for f in SMALL for p in PRECISIONS for dropout in (False, True)}
    assert {c["family"] for c in DORA["cases"] if c["method"] == "qlora"} == {"llama"}
    assert {c["family"] for c in DORA["cases"] if c["checkpointing"]} == set(SMALL)
    assert set(LAYOUTS) - {c["family"] for c in DORA["cases"]} == {"mixtral", "qwen3_moe", "qwen2_moe"}  # PEFT refuses them


def test_dora_keeps_more_than_lora_by_its_outputs_and_vectors():
    """Llama-3-8B, q and v at r = 16, 2 × 1,000 tokens, mixed: each of its 2 × 32 targets keeps the base's and B's
    outputs in bf16 (tokens × out each) and three fp32 vectors of out."""
    spec = PRESETS["llama-3-8b"]
    kept = {variant: saved_for_backward(spec, 16, ("q_proj", "v_proj"), "lora", "bf16", "mixed", "sdpa", 2, 1000, False,
                                        variant=variant) for variant in ("lora", "dora")}
    outs = 32 * (4096 + 1024)  # q's and v's out_features over 32 layers
    first_layer = 4096 + 1024  # the first layer's base output needs no gradient: two vectors, not three
    assert kept["dora"].total - kept["lora"].total == 2000 * outs * (2 + 2) + 3 * outs * 4 - first_layer * 4


def test_measurements_cover_lora_dropout_for_every_family_and_precision():
    grid = {(c["family"], c["method"], c["precision"]) for c in CASES if c.get("lora_dropout")}
    assert grid >= {(f, "lora", p) for f in SMALL for p in PRECISIONS} | {("llama", "qlora", p) for p in PRECISIONS}


def test_measurements_cover_the_models_own_dropout_turned_off():
    grid = {(c["family"], c["attention"], c["method"], c["precision"]) for c in CASES if not c.get("model_dropout", True)}
    assert grid >= {(f, a, m, p) for f in ("gpt2", "opt", "bert") for a in ("sdpa", "eager") for m in ("full", "lora")
                    for p in PRECISIONS}


def test_measurements_cover_padded_batches_for_every_family_kernel_and_precision():
    grid = {(c["family"], c["attention"], c["method"], c["precision"]) for c in CASES if c.get("padded")}
    assert grid >= {(f, a, m, p) for f in SMALL for a in ("sdpa", "eager") for m in ("full", "lora") for p in PRECISIONS}
    assert {c["seq"] for c in CASES if c.get("padded")} >= {50, 64}  # a length that is no multiple of 16 or 32


def test_a_padded_batch_keeps_the_mask_as_a_bias_and_repeats_k_and_v_on_cuda_too():
    """With a mask, CUDA's memory-efficient kernel keeps the bias (its rows padded to 16) and a log-sum-exp whose rows
    are rounded up to 32; transformers repeats k and v to every head (8 key/value heads of 32 on Llama-3-8B)."""
    spec = PRESETS["llama-3-8b"]
    layer = {padded: saved_for_backward(spec, 16, ("q_proj", "v_proj"), "lora", "bf16", "mixed", "sdpa", 2, 1000, False,
                                        padded=padded).layer for padded in (False, True)}
    b, n, heads, d, kv = 2, 1000, 32, 128, 8
    repeated = 2 * b * n * (heads - kv) * d * 2
    bias = b * n * 1008 * 2
    lse = b * heads * (1024 - 1000) * 4
    assert layer[True] - layer[False] == repeated + bias + lse


def test_turning_the_models_own_dropout_off_saves_only_where_a_family_has_one():
    for key in ("gpt2", "bert-base", "opt-175b", "llama-3-8b"):
        spec = PRESETS[key]
        on, off = (saved_for_backward(spec, 8, target_names(spec), "lora", "bf16", "mixed", "eager", 1, 512, False,
                                      model_dropout=dropout).total for dropout in (True, False))
        assert (off < on) if spec.family != "llama" else (off == on)


def test_lora_dropout_keeps_a_one_byte_mask_on_cuda_and_the_noise_on_the_cpu():
    """CUDA's native_dropout keeps a bool mask; the CPU keeps the scaled noise in its input's dtype (fp32 under mixed
    precision: PEFT casts the input to its fp32 adapter first). Either way each target's dropped input is its own."""
    spec = PRESETS["llama-3-8b"]
    targets = target_names(spec)
    inputs = 6 * spec.hidden + spec.intermediate  # per token: the inputs of q, k, v, o, gate, up (hidden wide) and down
    for precision, noise in (("mixed", 4), ("pure", 2)):
        layer = {(device, drop): saved_for_backward(spec, 16, targets, "lora", "bf16", precision, "sdpa", 1, 512, False,
                                                    device=device, lora_dropout=drop).layer
                 for device in ("cuda", "cpu") for drop in (0.0, 0.1)}
        extra_cuda = layer["cuda", 0.1] - layer["cuda", 0.0]
        extra_cpu = layer["cpu", 0.1] - layer["cpu", 0.0]
        assert extra_cpu - extra_cuda == 512 * inputs * (noise - 1)
        assert layer["cuda", 0.1] == saved_for_backward(spec, 16, targets, "lora", "bf16", precision, "sdpa", 1, 512, False,
                                                        lora_dropout=0.5).layer  # only whether it is on


def test_measurements_cover_every_family_kernel_method_and_precision():
    grid = {(c["family"], c["attention"], c["method"], c["precision"]) for c in CASES if not c["checkpointing"]}
    assert grid >= {(f, a, "lora", p) for f in SMALL for a in ("sdpa", "eager") for p in PRECISIONS}
    assert grid >= {(f, a, "full", p) for f in SMALL for a in ("sdpa", "eager") for p in ("pure", "mixed")}  # plain is pure
    assert {(c["attention"], c["precision"], c["prepared"]) for c in CASES if c["method"] == "qlora" and not c["checkpointing"]} >= {
        (a, p, prepared) for a in ("sdpa", "eager") for p in PRECISIONS for prepared in (True, False)}
    assert {(c["family"], c["method"]) for c in CASES if c["checkpointing"]} >= {(f, m) for f in SMALL for m in ("full", "lora")}
    assert {c["targets"] for c in CASES} > {"all-linear"}  # PEFT's default targets too: the first layer differs


def test_measurements_cover_the_newer_layouts_in_every_kernel_method_and_precision():
    grid = {(c["family"], c["attention"], c["method"], c["precision"]) for c in CASES if not c["checkpointing"]}
    for family in LAYOUTS:
        assert grid >= {(family, a, m, p) for a in ("sdpa", "eager") for m in ("full", "lora") for p in ("mixed", "pure")}
        assert (family, "sdpa", "qlora", "mixed") in grid and (family, "sdpa", "lora", "plain") in grid
        assert {c["method"] for c in CASES if c["family"] == family and c["checkpointing"]} == {"full", "lora"}


def test_qwen3s_q_and_k_norms_keep_their_fp32_inputs_where_a_gradient_needs_them():
    """Per layer, LoRA on every linear layer: q's and k's fp32 copies and one 1/rms per head and token."""
    spec = dataclasses.replace(LAYOUTS["qwen3"], layers=2)
    plain = dataclasses.replace(spec, qk_norm=False)
    args = (8, target_names(spec), "lora", "bf16", "mixed", "sdpa", 1, 64, False)
    t, q, kv = 64, 4 * 96, 2 * 96
    assert saved_for_backward(spec, *args).layer - saved_for_backward(plain, *args).layer == t * (q + kv) * 4 + t * (4 + 2) * 4


def test_the_app_names_the_versions_it_was_measured_with():
    torch, transformers = (GOLDEN["versions"][k].split("+")[0].rsplit(".", 1)[0] for k in ("torch", "transformers"))
    assert MEASURED_WITH == f"PyTorch {torch}, transformers {transformers}"


def test_eager_keeps_the_scores_and_sdpa_does_not():
    """Eager attention's extra grows with seq², SDPA's layer grows with seq only."""
    spec = PRESETS["llama-2-7b"]
    layer = {(kernel, seq): saved_for_backward(spec, 8, ("q_proj", "v_proj"), "lora", "bf16", "mixed", kernel, 1, seq, False).layer
             for kernel in ("sdpa", "eager") for seq in (1024, 2048)}
    assert layer["sdpa", 2048] == pytest.approx(2 * layer["sdpa", 1024], rel=1e-3)
    extra = {seq: layer["eager", seq] - layer["sdpa", seq] for seq in (1024, 2048)}
    assert extra[2048] > 3.9 * extra[1024]


def test_cuda_keeps_one_byte_dropout_masks_and_fp32_layer_norm_statistics():
    spec = PRESETS["gpt2"]
    cpu, cuda = (saved_for_backward(spec, 8, ("c_attn",), "full", "bf16", "pure", "sdpa", 1, 1024, False, device=d) for d in ("cpu", "cuda"))
    t, h = 1024, 768
    masks, norms = 2, 2  # per layer: after attention and after the MLP; ln_1 and ln_2
    copies = 2 * t * h * 2  # the CPU SDPA kernel's copies of k and v
    assert cpu.layer - cuda.layer == masks * t * h * (2 - 1) - norms * 2 * t * (4 - 2) + copies


def test_llama_3_8b_qlora_r16_at_2048_fits_24_gb_only_with_checkpointing():
    """The issue's case: QLoRA as PEFT prepares it (checkpointing on) fits a 24 GB card; the same without
    checkpointing does not, and the page says both."""
    spec = PRESETS["llama-3-8b"]
    got = training_bytes(spec, 16, ("all-linear",), "qlora", "bf16", "adamw", 1, 2048, False, "mixed", True)
    assert got.saved.checkpointing
    assert fit_verdict(got.total).card.bytes <= card_by_key("rtx4090").bytes
    without = dataclasses.replace(got.saved, checkpointing=False)
    assert fit_verdict(got.exact + without.total).card.bytes > card_by_key("rtx4090").bytes
    assert checkpointing_alternative(got).startswith("With gradient checkpointing off: fits an A100 40 GB")
    table = card_table(got)
    row = table["card"].index("RTX 4090 24 GB (23.99 GiB)")
    with_, without = (column[row] for name, column in table.items() if name != "card")
    assert with_.startswith("fits,") and without.startswith("no,"), (with_, without)
    # The three labelled parts with checkpointing add up to the total.
    rows = activation_rows(got.saved)
    assert [name for name, _ in rows] == ["· outside the checkpoints", "· 32 checkpoints (layer inputs)", "· one layer, recomputed in backward"]
    assert sum(b for _, b in rows) == got.activations


def test_lora_layer_on_llama_3_8b_matches_the_hand_derivation():
    """One middle layer, LoRA r = 16 on every linear, pure bf16, SDPA, batch 1, sequence 2048:
    two RMSNorms (fp32 input + 1/rms), SDPA (q, k, v, output, log-sum-exp), SwiGLU (three T·i tensors),
    each group's input once (q/k/v, gate/up, down) and A·x per target."""
    spec = PRESETS["llama-3-8b"]
    t, h, i, kv, r = 2048, 4096, 14336, 1024, 16
    norms = 2 * (t * h * 4 + t * 4)
    sdpa = t * (2 * h + 2 * kv) * 2 + t * 32 * 4
    mlp = 3 * t * i * 2
    inputs = (t * h + t * h + t * i) * 2
    ax = 7 * t * r * 2
    got = saved_for_backward(spec, r, target_names(spec), "lora", "bf16", "pure", "sdpa", 1, 2048, False)
    assert got.layer == norms + sdpa + mlp + inputs + ax == 378_224_640


def test_the_issues_llama_3_8b_measurement_is_reproduced():
    """The issue measured Llama-3-8B, LoRA r = 16 on every linear, batch 1, sequence 2048, SDPA, with PEFT's fp32
    adapters on a bf16 base and no autocast (the plain precision): 605,175,808 B per layer and
    1,051,738,124 B outside the layers (the one-layer-from-two difference)."""
    spec = PRESETS["llama-3-8b"]
    plain = saved_for_backward(spec, 16, target_names(spec), "lora", "bf16", "plain", "sdpa", 1, 2048, False, device="cpu")
    assert (plain.layer, plain.outside_bytes + plain.first_layer - plain.layer) == (605_175_808, 1_051_738_124)

"""The step's peak: the derivation is within 2% of the peak torch.profiler saw in real training steps (golden file
written by tools/measure_peak.py), and the verdicts follow the peak."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from lora_viz.model.budget import training_bytes
from lora_viz.model.peak import update_temporaries
from lora_viz.presets import ALL_LINEAR, PRESETS, ModelSpec, target_names
from tests.test_activations import LAYOUTS as ONE_LAYER

GOLDEN = json.loads((Path(__file__).parent / "golden" / "peak.json").read_text())
CASES = GOLDEN["cases"]
DORA_CASES = json.loads((Path(__file__).parent / "golden" / "peak_dora.json").read_text())["cases"]
TOLERANCE = 0.02

# The measured models (tools/measure_activations.py: config), with 2 layers.
SMALL = {
    "llama": ModelSpec("small", "small", "llama", 256, 688, 2, 4, 2, 1000),
    "gpt2": ModelSpec("small", "small", "gpt2", 256, 1024, 2, 4, 4, 1000, positions=256),
    "opt": ModelSpec("small", "small", "opt", 256, 1024, 2, 4, 4, 1000, positions=256),
    "bert": ModelSpec("small", "small", "bert", 256, 1024, 2, 4, 4, 1000, positions=256),
}
# Llama's layout as the newer families change it: the measured activations' models (tests/test_activations.py), with 2 layers.
LAYOUTS = {family: dataclasses.replace(spec, layers=2) for family, spec in ONE_LAYER.items()}
PHASE = {"the loss, at the end of the forward": "forward", "the last layer's forward": "forward",
         "the start of backward, the loss's gradient": "backward", "the last layer's backward": "backward",
         "the end of backward, the tied embedding's gradient": "backward", "the end of backward, every gradient": "backward",
         "the optimizer step": "optimizer", "the last layer's forward, at a DoRA target": "forward"}


def derived(case: dict):
    """The app's step for a measured case, with the CPU's kernels and the AdamW implementation measured."""
    spec = dataclasses.replace((SMALL | LAYOUTS)[case["family"]], vocab=case["vocab"])
    if case["size"] != "small":
        size = case["size"]
        spec = dataclasses.replace(spec, hidden=size["hidden"], intermediate=size["intermediate"], layers=size["layers"],
                                   heads=size["heads"], kv_heads=size["kv_heads"] if case["family"] == "llama" else size["heads"])
    targets = (ALL_LINEAR,) if case["targets"] == ALL_LINEAR else tuple(case["targets"].split(","))
    memory = training_bytes(spec, 8, targets, case["method"], "bf16", case["optimizer"], case["batch"], case["seq"],
                            case["checkpointing"], case["precision"], prepared=True, attention=case["attention"], rules="cpu",
                            lora_dropout=case["lora_dropout"], padded=case["padded"], qlora_recipe=case["qlora_recipe"], foreach=case["foreach"],
                            variant=case.get("variant", "lora"))
    return memory.peak


def _name(case: dict) -> str:
    flags = [k for k in ("foreach", "checkpointing", "padded") if case[k]]
    flags += [f"dropout{case['lora_dropout']}"] if case["lora_dropout"] else []
    flags += ["paper"] if case["qlora_recipe"] == "paper" else []
    flags += ["held-out"] if case["size"] != "small" else []
    return "-".join(str(case[k]) for k in ("family", "method", "precision", "attention", "optimizer", "batch", "seq", "vocab")
                    ) + "".join("-" + f for f in flags)


# The one measured case the derivation misses by more than 2%, and why: in plain precision PEFT adds B's fp32 output
# to the fused gate_up_proj's bf16 output, and that add's fp32 temporaries (twice the MLP's width) outweigh the loss's
# gradient at this small vocabulary. The forward moment counts them as measured inside the layer (14.8 bytes per
# output element); about 0.5 MB more is alive beside them that no moment names (2.3% of this step).
# Two more, not explained yet: with gradient checkpointing, at 64 tokens and a 1,000-word vocabulary, where adapted
# expert stacks outweigh everything else in the step, the recomputed last layer's backward holds 0.65–0.76 MB more
# than the derivation names (3.4% and 4.6%). The same models without checkpointing, and with it at 256 tokens, are
# within 1.3% and 0.03%.
KNOWN_MISSES = {"phi3-lora-plain-sdpa-adamw-2-128-1000": 0.03,
                "mixtral-lora-mixed-sdpa-adamw-1-64-1000-checkpointing": 0.04,
                "qwen3_moe-lora-mixed-sdpa-adamw-1-64-1000-checkpointing": 0.05}


@pytest.mark.parametrize("case", CASES, ids=[_name(c) for c in CASES])
def test_the_derived_peak_is_within_two_percent_of_the_measured_one(case):
    peak = derived(case)
    tolerance = KNOWN_MISSES.get(_name(case), TOLERANCE)
    assert abs(peak.bytes - case["peak"]) <= tolerance * case["peak"], (peak.bytes, case["peak"], peak.at.where)


def test_only_the_known_misses_are_beyond_two_percent():
    beyond = {_name(c) for c in CASES if abs(derived(c).bytes - c["peak"]) > TOLERANCE * c["peak"]}
    assert beyond == set(KNOWN_MISSES)


@pytest.mark.parametrize("case", CASES, ids=[_name(c) for c in CASES])
def test_what_lives_throughout_the_step_is_counted_to_within_a_few_bytes(case):
    """Weights, optimizer states and the batch: exact but for the model's small buffers (rotary frequencies)."""
    assert abs(derived(case).persistent - case["start"]) <= 20_000, (derived(case).persistent, case["start"])


@pytest.mark.parametrize("case", CASES, ids=[_name(c) for c in CASES])
def test_the_peak_falls_in_the_phase_measured_where_one_moment_clearly_leads(case):
    """Where the largest moment leads the next by more than the tolerance, it is in the phase the profiler saw. Eager
    attention's forward (the scores while softmax runs) is no moment of its own: where it peaks (Qwen3 LoRA at 512
    tokens), the derived peak lies at the start of backward, 0.07% below the measured one."""
    peak = derived(case)
    first, second = sorted((m.bytes for m in peak.moments), reverse=True)[:2]
    if first - second > TOLERANCE * peak.bytes and case["attention"] == "sdpa" and _name(case) not in KNOWN_MISSES:
        assert PHASE[peak.at.where] == case["phase"], peak.at.where


def test_the_measurements_cover_every_family_method_precision_and_kernel():
    seen = {(c["family"], c["method"], c["precision"], c["attention"]) for c in CASES}
    for family in SMALL:
        for method in ("full", "lora"):
            assert {(family, method, precision, "sdpa") for precision in ("mixed", "pure", "plain")} <= seen
            assert (family, method, "pure", "eager") in seen
    assert {c["optimizer"] for c in CASES} == {"adamw", "sgd"} and any(c["foreach"] for c in CASES)
    assert all(any(c[flag] for c in CASES) for flag in ("checkpointing", "padded", "lora_dropout"))


# DoRA's steps (tools/measure_peak.py dora): every target builds its dense ΔW each forward (an identity in × in through
# A and B, and out × in temporaries), which sets the peak at few tokens. Without autocast the derivation is within
# 1.4% (BERT at 256 tokens: 3.2% under, where its measured forward rule, read off LoRA, misses DoRA's outputs in
# flight). Under autocast, 27 of 40 cases are within 2% and every one within 6.4%: the rest are under by 2–6% with
# LoRA dropout, gradient checkpointing and BERT's wide forward, or over by up to 3.4% at 16–32 tokens.
DORA_TOLERANCE = 0.065
DORA_WITHIN_TWO_PERCENT = 27


def _dora_name(case: dict) -> str:
    return _name(case) + "-dora"


@pytest.mark.parametrize("case", DORA_CASES, ids=[_dora_name(c) for c in DORA_CASES])
def test_dora_steps_peak_within_their_tolerance(case):
    peak = derived(case)
    assert abs(peak.bytes - case["peak"]) <= DORA_TOLERANCE * case["peak"], (peak.bytes, case["peak"], peak.at.where)


def test_most_dora_steps_are_within_two_percent_and_none_without_autocast_is_far():
    close = [c for c in DORA_CASES if abs(derived(c).bytes - c["peak"]) <= TOLERANCE * c["peak"]]
    assert len(close) >= DORA_WITHIN_TWO_PERCENT
    for case in DORA_CASES:
        if case["precision"] != "mixed" and not (case["family"] == "bert" and case["seq"] == 128):
            assert abs(derived(case).bytes - case["peak"]) <= 0.014 * case["peak"], _dora_name(case)


def test_a_dora_step_with_few_tokens_peaks_where_a_target_builds_its_dense_delta_w():
    few = [c for c in DORA_CASES if c["batch"] * c["seq"] <= 32 and not c["checkpointing"]]
    assert few and all(derived(c).at.where == "the last layer's forward, at a DoRA target" for c in few)
    assert all(c["phase"] == "forward" for c in few)


def test_the_newer_layouts_are_measured_too():
    assert {(c["family"], c["method"]) for c in CASES} >= {(f, m) for f in LAYOUTS for m in ("full", "lora")}


def test_a_third_of_the_cases_are_at_a_size_no_rule_was_read_from_in_every_family():
    held_out = [c for c in CASES if c["size"] != "small"]
    assert {c["family"] for c in held_out} == set(SMALL) and len(held_out) >= 40


def test_the_peak_is_where_the_profiler_saw_it_across_the_measurements():
    phases = {c["phase"] for c in CASES}
    assert phases == {"forward", "backward", "optimizer"}


def test_the_loss_adds_eight_bytes_a_logit_beyond_the_saved_tensors_at_llama_3_8b_scale():
    """The issue's shortfall: at Llama-3-8B's vocabulary, batch 1, sequence 2048, the loss's gradient is ~2 GB that
    saved-tensor accounting missed, and the peak is there."""
    memory = training_bytes(PRESETS["llama-3-8b"], 16, ("all-linear",), "lora", "bf16", "adamw", 1, 2048, False)
    peak = memory.peak
    assert peak.at.where == "the start of backward, the loss's gradient"
    # Gradients do not exist yet (zero_grad set them to None); the loss's two fp32 gradients do: 2.1 GB
    assert peak.bytes == memory.weights + memory.optimizer_states + peak.batch + memory.activations + 2048 * 128_256 * 8
    assert peak.bytes > memory.total + 1.9e9


def test_cuda_s_foreach_adamw_holds_a_temporary_the_size_of_all_that_is_trained_and_the_cpu_loop_one_tensor():
    trained = [(100, 3), (1000, 1)]
    assert update_temporaries(trained, "adamw", 4, foreach=True) == 1300 * 4
    assert update_temporaries(trained, "adamw", 4, foreach=False) == 2 * 1000 * 4
    assert update_temporaries(trained, "sgd", 4, foreach=True) == update_temporaries(trained, "paged_adamw", 4, True) == 0


def test_full_fine_tuning_s_peak_is_the_optimizer_step_on_cuda_for_a_short_sequence():
    """A 7B full fine-tune at batch 1, sequence 256: the foreach update's temporary (4 bytes a parameter) decides."""
    memory = training_bytes(PRESETS["llama-2-7b"], 16, ("all-linear",), "full", "bf16", "adamw", 1, 256, False)
    assert memory.peak.at.where == "the optimizer step"
    assert memory.peak.bytes == memory.weights + memory.optimizer_states + memory.gradients * 2 + memory.peak.batch

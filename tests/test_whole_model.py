"""Whole-model counts and memory against golden files written by tools/make_golden.py with PEFT and PyTorch."""

import json
from pathlib import Path

import pytest

from harness.pages import open_page
from lora_viz.model.budget import (
    model_counts,
    serving_bytes,
    training_bytes,
)
from lora_viz.names import PRECISIONS
from lora_viz.numbers.memory import adapter_dtype
from lora_viz.presets import ALL_LINEAR, PRESETS, ModelSpec, custom_model, total_params
from lora_viz.settings import to_query

GOLDEN = Path(__file__).parent / "golden"
PEFT_CASES = json.loads((GOLDEN / "peft_counts.json").read_text())["cases"]
TORCH_CASES = json.loads((GOLDEN / "torch_memory.json").read_text())["cases"]
SERVED_CASES = json.loads((GOLDEN / "served_adapter.json").read_text())["cases"]


def spec_of(case):
    if "spec" in case:  # a model that is neither a preset nor a custom layout (a small OPT)
        return ModelSpec(**case["spec"])
    return custom_model(*case["dims"]) if case["model"] == "custom" else PRESETS[case["model"]]


def targets_of(case):
    return (ALL_LINEAR,) if case["targets"] == ALL_LINEAR else tuple(case["targets"])


def test_the_newer_families_are_in_peft_golden_counts_with_their_own_layouts():
    """Each preset whose config sets something apart from Llama-2's layout is counted by PEFT, and the whole model's
    total is transformers' (all − trainable)."""
    layouts = {"head_dim": "qwen3-4b", "tied": "llama-3.2-3b", "qkv_bias": "qwen2.5-7b", "qk_norm": "qwen3-32b",
               "head_dim without q/k norms": "mistral-nemo-12b", "fused": "phi-4", "fused and tied": "phi-4-mini"}
    counted = {case["model"] for case in PEFT_CASES}
    assert set(layouts.values()) <= counted and {"llama-3.1-8b", "llama-3.1-70b", "qwen3-8b"} <= counted
    for case in PEFT_CASES:
        if case["model"] in layouts.values():
            assert case["all"] - case["trainable"] == total_params(PRESETS[case["model"]])
    assert PRESETS["qwen3-4b"].head_dim == 128 != PRESETS["qwen3-4b"].hidden // PRESETS["qwen3-4b"].heads


def test_memory_golden_covers_every_method_and_optimizer():
    assert {(c["method"], c["optimizer"]) for c in TORCH_CASES} == {
        ("full", "adamw"), ("full", "sgd"), ("full", "adamw8bit"), ("full", "paged_adamw"), ("lora", "adamw"), ("qlora", "adamw"),
        ("qlora", "adamw8bit"), ("qlora", "paged_adamw"),
    }


def test_paged_adamw_keeps_two_fp32_states_and_no_step_tensor():
    """bitsandbytes' paged 32-bit AdamW (the QLoRA paper's optimizer): 8 B per trained value whatever its dtype, its
    step a Python number; PyTorch's AdamW keeps states like the tensor and a 4-byte step per tensor."""
    spec = PRESETS["llama-3-8b"]
    paged, adamw = (training_bytes(spec, 64, ("all-linear",), "qlora", "bf16", optimizer, 1, 512, True, "pure", True)
                    for optimizer in ("paged_adamw", "adamw"))
    trainable = model_counts(spec, 64, ("all-linear",)).trainable
    assert paged.optimizer_states == 8 * trainable and adamw.optimizer_states == 4 * trainable + 4 * 7 * 32 * 2
    assert paged.gradients == adamw.gradients == 2 * trainable  # pure: bf16 adapters


def test_golden_file_covers_every_preset():
    assert {case["model"] for case in PEFT_CASES} == set(PRESETS) | {"custom"}
    assert {case["dims"][6] for case in PEFT_CASES if case["model"] == "custom"} == {"llama", "gpt2"}  # both layouts
    assert len(PEFT_CASES) >= 70


@pytest.mark.parametrize("case", PEFT_CASES, ids=lambda c: f"{c['model']}-r{c['r']}-{c['targets'] if isinstance(c['targets'], str) else '+'.join(c['targets'])}")
def test_counts_equal_peft(case):
    counts = model_counts(spec_of(case), case["r"], targets_of(case))
    assert (counts.trainable, counts.all) == (case["trainable"], case["all"])


@pytest.mark.parametrize("key", list(PRESETS))
def test_totals_equal_published_counts(key):
    assert total_params(PRESETS[key]) == PRESETS[key].published_total


def test_peft_printout_for_llama_2_7b():
    counts = model_counts(PRESETS["llama-2-7b"], 8, ("q_proj", "v_proj"))
    assert (counts.trainable, counts.all) == (4_194_304, 6_742_609_920)
    assert f"{counts.trainable_percent:.4f}" == "0.0622"


@pytest.mark.parametrize("case", TORCH_CASES, ids=lambda c: f"{c['method']}-{c['dtype']}-{c['precision']}-{c['optimizer']}-{c.get('targets', '')}"
                                                      f"-{c.get('qlora_recipe', 'peft')}")
def test_memory_equals_pytorch_allocation(case):
    targets = targets_of(case) if "targets" in case else ()
    got = training_bytes(spec_of(case), case.get("r", 8), targets, case["method"], case["dtype"], case["optimizer"], 1, 8, False,
                         case["precision"], case.get("prepared", False), qlora_recipe=case.get("qlora_recipe", "peft"))
    assert (got.weights, got.gradients, got.optimizer_states) == (case["weights"], case["gradients"], case["optimizer_states"])


def test_golden_memory_covers_every_precision_for_every_method():
    covered = {(case["method"], case["precision"]) for case in TORCH_CASES if case["dtype"] == "bf16"}
    assert covered == {(method, precision) for method in ("full", "lora", "qlora") for precision in PRECISIONS}


def test_golden_memory_covers_the_opt_family_in_every_precision():
    assert {(c["method"], c["precision"]) for c in TORCH_CASES if c.get("spec", {}).get("family") == "opt"} == {
        (method, precision) for method in ("full", "lora") for precision in PRECISIONS}


def test_golden_memory_covers_qlora_as_loaded_and_as_peft_prepares_it():
    assert {case.get("prepared") for case in TORCH_CASES if case["method"] == "qlora"} == {False, True}


def test_prepared_qlora_keeps_its_other_weights_in_fp32_and_checkpoints():
    """prepare_model_for_kbit_training casts embeddings, norms and the head to fp32 (about 2 GiB more on Llama-3-8B,
    whose 128k vocabulary makes both embedding and head large) and turns gradient checkpointing on."""
    spec = PRESETS["llama-3-8b"]
    loaded = training_bytes(spec, 16, ("all-linear",), "qlora", "bf16", "adamw", 1, 2048, False, "mixed", False)
    prepared = training_bytes(spec, 16, ("all-linear",), "qlora", "bf16", "adamw", 1, 2048, False, "mixed", True)
    other = total_params(spec) - sum(row.base_params for row in model_counts(spec, 16, ()).rows)
    assert prepared.weights - loaded.weights == 2 * other and round(2 * other / 2**30, 2) == 1.96
    assert prepared.activations < loaded.activations  # checkpointing


def test_mixed_precision_full_fine_tuning_of_llama_2_7b_is_16_bytes_a_parameter_plus_the_steps():
    """The issue's number: fp32 weights, gradients and AdamW states (16 B per parameter) and a 4-byte step for each
    of Llama-2-7B's 291 tensors; the app once showed only the pure-bf16 recipe (8 B per parameter)."""
    got = training_bytes(PRESETS["llama-2-7b"], 8, (), "full", "bf16", "adamw", 1, 1, False, "mixed")
    assert got.exact == 107_814_651_020 == 16 * 6_738_415_616 + 4 * 291


def test_gqa_narrows_k_and_v():
    rows = {row.path: row for row in model_counts(PRESETS["llama-3-8b"], 8, ("k_proj", "q_proj")).rows}
    assert rows["self_attn.k_proj"].out_features == 1024 and rows["self_attn.q_proj"].out_features == 4096
    assert rows["self_attn.k_proj"].lora_params == 8 * (4096 + 1024) * 32


def test_qlora_stores_block_linears_in_nf4():
    spec = PRESETS["llama-2-7b"]
    full = training_bytes(spec, 8, ("q_proj",), "lora", "bf16", "adamw", 1, 1, False)
    qlora = training_bytes(spec, 8, ("q_proj",), "qlora", "bf16", "adamw", 1, 1, False)
    linear = sum(row.base_params for row in model_counts(spec, 8, ()).rows)
    other = total_params(spec) - linear
    # 4.127 bits per linear weight, 16 bits for the rest; adapters the same as LoRA.
    assert qlora.weights - qlora.gradients == pytest.approx(linear * 4.127 / 8 + other * 2, rel=1e-4)
    assert qlora.gradients == full.gradients and qlora.optimizer_states == full.optimizer_states


def test_eight_bit_adamw_is_about_two_bytes_per_parameter():
    got = training_bytes(PRESETS["llama-2-7b"], 8, (), "full", "bf16", "adamw8bit", 1, 1, False)
    assert got.optimizer_states / total_params(PRESETS["llama-2-7b"]) == pytest.approx(2.03, abs=0.01)


def test_paper_serving_example_shape():
    serving = serving_bytes(PRESETS["llama-2-7b"], 8, ("q_proj", "v_proj"), "fp16", 100, "fp32", "lora")
    # Worked out by hand from PEFT's counts: 6,738,415,616 weights in fp16; 4,194,304 adapter weights in fp32.
    assert serving.merged == 13_476_831_232
    assert serving.adapter_file == 16_777_216
    assert serving.shared_base == 15_154_552_832  # one base and 100 adapter files
    assert serving.merged_copies == 1_347_683_123_200  # 100 merged copies


def test_qlora_is_served_on_its_4_bit_base_and_merging_it_dequantises():
    from lora_viz.model.budget import base_weight_bytes, serving_bytes

    spec = PRESETS["llama-3-8b"]
    adapter = model_counts(spec, 16, ("q_proj", "v_proj")).trainable * 4  # saved in bf16, served in fp32
    qlora = serving_bytes(spec, 16, ("q_proj", "v_proj"), "bf16", 10, "bf16", "qlora")
    assert qlora.separate == base_weight_bytes(spec, "qlora", "bf16") + adapter < 6 * 2**30  # a 4-bit base
    assert qlora.merged == total_params(spec) * 2  # dequantised to bf16, then merged
    lora = serving_bytes(spec, 16, ("q_proj", "v_proj"), "bf16", 10, "bf16", "lora")
    assert lora.merged == qlora.merged and lora.separate == total_params(spec) * 2 + adapter


@pytest.mark.parametrize("save_dtype", ["fp32", "fp16", "bf16"])
def test_a_served_adapter_is_fp32_as_peft_loads_it_whatever_its_file(save_dtype):
    """PEFT's from_pretrained (autocast_adapter_dtype=True) loads a 16-bit adapter as fp32: the page served it in
    save_dtype. The file keeps save_dtype; N adapter files beside one base are stored files."""
    spec = PRESETS["llama-3-8b"]
    trainable = model_counts(spec, 16, ("q_proj", "v_proj")).trainable
    served = serving_bytes(spec, 16, ("q_proj", "v_proj"), "bf16", 10, save_dtype, "lora")
    assert served.adapter_served == trainable * 4 and served.served_dtype == "fp32"
    assert served.separate == total_params(spec) * 2 + trainable * 4
    assert served.adapter_file == trainable * {"fp32": 4, "fp16": 2, "bf16": 2}[save_dtype]
    assert served.shared_base == total_params(spec) * 2 + 10 * served.adapter_file


def test_a_served_adapter_is_kept_as_peft_loads_it():
    """From the golden file: an adapter saved in each dtype, loaded on a bf16 base by PeftModel.from_pretrained."""
    assert {case["save_dtype"] for case in SERVED_CASES} == {"fp32", "fp16", "bf16"}
    spec = custom_model(hidden=256, intermediate=704, layers=2, heads=8, kv_heads=2, vocab=1000)
    trainable = model_counts(spec, 8, ("q_proj", "v_proj")).trainable
    for case in SERVED_CASES:
        assert case["adapter_params"] == trainable
        if case["autocast_adapter_dtype"]:  # PEFT's default, which the page prices
            served = adapter_dtype("served", case["save_dtype"])
            assert case["loaded_dtypes"] == [served]
            assert case["adapter_bytes"] == serving_bytes(spec, 8, ("q_proj", "v_proj"), "bf16", 1, case["save_dtype"], "lora").adapter_served
        else:  # what the page says the loader keeps when told otherwise: the base's dtype
            assert case["loaded_dtypes"] == ["bf16"]


def test_the_page_says_how_the_served_adapter_is_kept():
    at = open_page("pages/whole_model.py", {"save_dtype": "fp16"})
    serving = next(m.value for m in at.markdown if "### Serving" in m.value)
    assert "in fp32: PEFT's `PeftModel.from_pretrained` loads an adapter as fp32" in serving
    assert "autocast_adapter_dtype=False" in serving and "of fp16 weights" in serving




def test_the_memory_chart_names_each_bars_recipe_gives_its_values_and_marks_the_chosen_card():
    """It compared LoRA without checkpointing against QLoRA with it, unlabelled, with no values on hover, and its
    five card labels stacked into the '▼ chosen' mark."""
    from lora_viz.model.figures import memory_figure
    from lora_viz.settings import Settings

    figure = memory_figure(Settings(model="llama-3-8b", method="qlora", card="rtx4090"))
    labels = figure["data"][0]["x"]
    assert labels == ["Full fine-tuning<br>no checkpointing", "LoRA<br>no checkpointing",
                      "<b>QLoRA</b><br>with checkpointing<br>(chosen)"]  # QLoRA as PEFT prepares it checkpoints
    assert figure["layout"]["hovermode"] == "x unified" and all("%{customdata[0]}" in t["hovertemplate"] for t in figure["data"])
    notes = [note["text"] for note in figure["layout"]["annotations"]]
    assert len(figure["layout"]["shapes"]) == 1 and "RTX 4090 24 GB, less the CUDA allowance" in notes
    assert not any("chosen" in note for note in notes)
    assert sum(note["text"].endswith("GiB") for note in figure["layout"]["annotations"]) >= 3  # each bar's total above it


def test_the_qlora_papers_headline_llama_65b_on_one_48_gb_card_with_its_recipe_and_not_with_pefts():
    """Dettmers et al. 2023 fine-tune LLaMA-65B on one 48 GB GPU: with qlora.py's recipe (bf16 adapters, embeddings and
    head, paged 32-bit AdamW, r = 64 on every linear layer) the step's peak fits the smallest 48 GB card, an L40S; as
    PEFT prepares the model (fp32 adapters, embeddings and head) it does not, and needs the RTX A6000's 3 GiB more."""
    from dataclasses import replace

    from lora_viz.model.view import model_view, qlora_paper_example
    from lora_viz.numbers.memory import fit_verdict
    from lora_viz.settings import DEFAULTS

    paper = qlora_paper_example(DEFAULTS)
    assert model_view(paper).counts.trainable == 799_539_200
    assert fit_verdict(model_view(paper).training["qlora"].peak.bytes).card.name == "L40S 48 GB"
    peft = fit_verdict(model_view(replace(paper, qlora_recipe="peft")).training["qlora"].peak.bytes).card
    assert peft.name == "RTX A6000 48 GB"
    at = open_page("pages/whole_model.py", {key: value for key, value in to_query(paper).items()})
    text = " ".join(m.value for m in at.markdown)
    assert not at.exception and "Fits an L40S 48 GB" in text and "the QLoRA paper's qlora.py" in " ".join(c.value for c in at.caption)
    assert at.radio(key="qlora_recipe").value == "paper"


def test_the_whole_model_views_cache_key_holds_every_custom_size_and_switch():
    """A custom model's head_dim, tied head, biases, q/k norms and fused projections each change its numbers: none is left out of the
    key the view is cached by (it once was, and a pasted Qwen3 config showed a cached Llama-style model's counts)."""
    from dataclasses import replace

    from lora_viz.model.view import model_view
    from lora_viz.settings import DEFAULTS

    base = replace(DEFAULTS, model="custom", hidden=2560, heads=32, kv_heads=8, targets=("all-linear",))
    seen = {model_view(base).counts.all}
    for change in ({"head_dim": 128}, {"tied": True}, {"qkv_bias": True}, {"qk_norm": True}, {"fused": True}):
        seen.add(model_view(replace(base, **change)).counts.all)  # fused: one adapter where there were three and two
    assert len(seen) == 6

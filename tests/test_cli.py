import json
import subprocess
import sys
from pathlib import Path

import pytest

from lora_viz.numbers.memory import fit_verdict

from lora_viz.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_count_json_matches_peft(capsys):
    code, out, _ = run(capsys, "count", "--model", "llama-2-7b", "--rank", "8", "--targets", "q_proj,v_proj", "--json")
    assert code == 0 and json.loads(out) == {"trainable": 4_194_304, "base": 6_738_415_616, "all": 6_742_609_920}


def test_count_shows_the_lora_papers_headline_on_gpt_3s_architecture(capsys):
    """OPT-175B, GPT-3 175B's architecture: r = 4 on q_proj and v_proj trains 18,874,368 (PEFT); saved in fp16 that
    is 37,748,736 B, the paper's "35 MB" checkpoint."""
    code, out, _ = run(capsys, "count", "--model", "opt-175b", "--rank", "4", "--targets", "q_proj,v_proj", "--save-dtype", "fp16", "--json")
    assert code == 0 and json.loads(out) == {"trainable": 18_874_368, "base": 174_604_468_224, "all": 174_623_342_592,
                                             "adapter_file_bytes": 37_748_736}


def test_count_takes_a_custom_gpt2_style_model(capsys):
    code, out, _ = run(capsys, "count", "--model", "custom", "--arch", "gpt2", "--hidden", "1024", "--intermediate", "4096",
                       "--layers", "24", "--heads", "16", "--vocab", "50257", "--positions", "1024", "--rank", "8", "--targets", "c_attn", "--json")
    assert code == 0 and json.loads(out) == {"trainable": 786_432, "base": 354_823_168, "all": 355_609_600}  # GPT-2 medium


def test_count_gives_a_mixture_of_experts_active_parameters_and_takes_a_custom_one(capsys):
    code, out, _ = run(capsys, "count", "--model", "mixtral-8x7b", "--rank", "8", "--targets", "all-linear", "--json")
    assert code == 0 and json.loads(out) == {"trainable": 179_832_832, "base": 46_702_792_704, "all": 46_882_625_536,
                                             "active": 12_879_925_248}  # PEFT's counts (tests/golden/peft_counts.json)
    code, out, _ = run(capsys, "count", "--model", "custom", "--hidden", "2048", "--intermediate", "1408", "--layers", "24",
                       "--heads", "16", "--kv-heads", "16", "--vocab", "151936", "--qkv-bias", "1", "--experts", "60",
                       "--experts-per-token", "4", "--moe-type", "qwen2_moe", "--shared-expert", "5632", "--rank", "8",
                       "--targets", "q_proj,v_proj", "--json")
    assert code == 0 and json.loads(out)["base"] == 14_315_784_192  # Qwen1.5-MoE-A2.7B, as transformers builds it


def test_memory_json_matches_pytorch(capsys):
    code, out, _ = run(capsys, "memory", "--model", "gpt2", "--method", "lora", "--rank", "8", "--targets", "c_attn",
                       "--dtype", "bf16", "--optimizer", "adamw", "--json")
    result = json.loads(out)
    assert code == 0 and set(result) == {"weights", "gradients", "optimizer_states", "activations", "total"}
    assert (result["weights"], result["gradients"], result["optimizer_states"]) == (250_059_264, 1_179_648, 2_359_392)
    assert result["activations"] == 0 and result["total"] == 253_598_304


@pytest.mark.parametrize("precision, total", [("mixed", 107_814_651_020), ("pure", 53_907_326_092)])
def test_memory_takes_the_training_precision(capsys, precision, total):
    """Llama-2-7B full fine-tuning with AdamW: fp32 weights, gradients and states (16 B a parameter) under mixed
    precision, bf16 under pure (8 B); plus a 4-byte step for each of its 291 tensors."""
    code, out, _ = run(capsys, "memory", "--model", "llama-2-7b", "--method", "full", "--dtype", "bf16", "--precision", precision,
                       "--optimizer", "adamw", "--rank", "8", "--targets", "q_proj,v_proj", "--json")
    assert code == 0 and json.loads(out)["total"] == total


def test_memory_prices_qlora_as_peft_prepares_it_unless_told_otherwise(capsys):
    args = ("memory", "--model", "llama-3-8b", "--method", "qlora", "--rank", "16", "--targets", "all-linear", "--dtype", "bf16",
            "--optimizer", "adamw", "--json")
    prepared = json.loads(run(capsys, *args)[1])["weights"]
    loaded = json.loads(run(capsys, *args, "--prepared", "0")[1])["weights"]
    assert prepared - loaded == 2 * 1_050_939_392  # embeddings, norms and head: bf16 → fp32


def test_memory_gives_each_zero_stages_bytes_per_gpu_when_given_gpus(capsys):
    code, out, _ = run(capsys, "memory", "--model", "llama-2-7b", "--method", "full", "--dtype", "bf16", "--optimizer", "adamw",
                       "--rank", "8", "--targets", "q_proj", "--gpus", "64", "--json")
    result = json.loads(out)
    assert code == 0 and result["zero0_per_gpu"] == result["total"]  # stage 0: every GPU holds the whole recipe
    assert result["zero3_per_gpu"] == -(-result["total"] // 64)  # stage 3: split across the 64


def test_memory_with_batch_and_seq_estimates_activations(capsys):
    code, out, _ = run(capsys, "memory", "--model", "gpt2", "--method", "full", "--rank", "8", "--targets", "c_attn",
                       "--dtype", "fp32", "--optimizer", "sgd", "--batch", "2", "--seq", "512")
    assert code == 0 and "activations:" in out and "optimizer_states: 0" in out


def test_a_config_json_file_gives_the_presets_numbers_and_a_bad_one_a_one_line_error(capsys, tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"hidden_size": 3584, "intermediate_size": 18944, "model_type": "qwen2", "num_attention_heads": 28,
                                  "num_hidden_layers": 28, "num_key_value_heads": 4, "vocab_size": 152064, "rope_theta": 1e6}))
    args = ["--rank", "8", "--targets", "all-linear", "--json"]
    code, out, err = run(capsys, "count", "--config", str(config), *args)
    assert code == 0 and json.loads(out) == json.loads(run(capsys, "count", "--model", "qwen2.5-7b", *args)[1])
    assert "Read as “qwen2”" in err and "rope_theta" in err
    config.write_text("{not json")
    code, _, err = run(capsys, "count", "--config", str(config), *args)
    assert code == 2 and err.count("\n") == 1 and "Not JSON" in err
    code, _, err = run(capsys, "count", "--config", str(tmp_path / "missing.json"), *args)
    assert code == 2 and "cannot read" in err


def test_memory_with_a_batch_gives_the_steps_peak_and_the_smallest_card_that_holds_it(capsys):
    """Llama-3-8B, LoRA r = 16 on every linear layer, batch 1 of 1,024: the sum of the parts fits a 24 GB card, the
    step's peak (the loss's two fp32 gradients over 128,256 words) does not."""
    args = ["memory", "--model", "llama-3-8b", "--method", "lora", "--rank", "16", "--targets", "all-linear", "--dtype", "bf16",
            "--optimizer", "adamw", "--json"]
    result = json.loads(run(capsys, *args, "--batch", "1", "--seq", "1024")[1])
    assert result["fits"] == "A100 40 GB" and result["peak"] > result["total"]
    assert fit_verdict(result["total"]).card.name == "RTX 4090 24 GB"
    assert "peak" not in json.loads(run(capsys, *args)[1])  # no batch, no step
    full = json.loads(run(capsys, *args[:4], "full", *args[5:], "--batch", "1", "--seq", "512")[1])
    assert full["fits"] is None  # no single card holds a full fine-tune's foreach AdamW update


@pytest.mark.parametrize(
    "args",
    [
        ["count", "--model", "foo", "--rank", "8", "--targets", "q_proj"],
        ["count", "--model", "gpt2", "--rank", "-3", "--targets", "c_attn"],
        ["count", "--model", "gpt2", "--rank", "8"],
        ["count", "--model", "gpt2", "--rank", "8", "--targets", "q_proj"],
        ["memory", "--model", "gpt2", "--rank", "8", "--targets", "c_attn", "--method", "dora", "--dtype", "bf16", "--optimizer", "adamw"],
        ["memory", "--model", "gpt2", "--rank", "8", "--targets", "c_attn", "--method", "lora", "--dtype", "nf4", "--optimizer", "adamw"],
        ["memory", "--model", "gpt2", "--rank", "8", "--targets", "c_attn", "--method", "lora", "--dtype", "bf16", "--optimizer", "adamw", "--batch", "2"],
        ["memory", "--model", "gpt2", "--rank", "8", "--targets", "c_attn", "--method", "lora", "--dtype", "bf16", "--optimizer", "adamw", "--precision", "half"],
        ["memory", "--model", "gpt2", "--rank", "8", "--targets", "c_attn", "--method", "lora", "--dtype", "bf16", "--optimizer", "adamw", "--rules", "tpu"],
        ["explain"],
        ["count", "--model", "gpt2", "--hidden", "64", "--rank", "8", "--targets", "c_attn"],  # sizes are for custom models
        ["count", "--model", "custom", "--arch", "bloom", "--rank", "8", "--targets", "q_proj"],
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(args):
    result = subprocess.run([sys.executable, "-m", "lora_viz", *args], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("lora_viz: error:") and "Traceback" not in result.stderr


def test_flags_are_the_settings_url_keys_with_their_documented_names(capsys):
    by_key = run(capsys, "count", "--model", "gpt2", "--r", "8", "--targets", "c_attn", "--json")
    by_name = run(capsys, "count", "--model", "gpt2", "--rank", "8", "--targets", "c_attn", "--json")
    assert by_key == by_name and by_key[0] == 0


def test_help_lists_each_settings_label_and_choices():
    result = subprocess.run([sys.executable, "-m", "lora_viz", "memory", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert "--rank R, --r R" in result.stdout and "r — rank of the adapter" in result.stdout
    assert "full|lora|qlora" in result.stdout and "adamw|sgd|adamw8bit" in result.stdout


def test_version_is_the_one_in_the_project_metadata():
    import tomllib

    expected = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    result = subprocess.run([sys.executable, "-m", "lora_viz", "--version"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0 and result.stdout.strip() == f"lora-viz {expected}"


def test_the_project_metadata_names_the_licence_and_python():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT" and (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert project["requires-python"] == ">=3.11"
    pinned = {line.split("==")[0] for line in (ROOT / "requirements.in").read_text().splitlines() if "==" in line}
    assert {dependency.split("==")[0] for dependency in project["dependencies"]} == pinned


def test_memory_takes_the_attention_kernel_and_checkpointing_for_a_custom_model(capsys):
    """The issue's command; the activations equal the derivation the golden measurements check, and eager keeps more."""
    base = ["memory", "--model", "custom", "--arch", "llama", "--hidden", "256", "--intermediate", "688", "--layers", "2",
            "--heads", "4", "--kv-heads", "2", "--vocab", "1000", "--method", "lora", "--rank", "8", "--targets", "q_proj,v_proj",
            "--dtype", "bf16", "--precision", "pure", "--optimizer", "adamw", "--batch", "4", "--seq", "128", "--json"]
    got = {}
    for attention, ckpt in (("sdpa", "0"), ("eager", "0"), ("sdpa", "1")):
        code, out, _ = run(capsys, *base, "--attention", attention, "--ckpt", ckpt)
        assert code == 0
        got[attention, ckpt] = json.loads(out)["activations"]
    from lora_viz.model.activations import saved_for_backward
    from lora_viz.presets import custom_model

    spec = custom_model(256, 688, 2, 4, 2, 1000)
    assert got["sdpa", "0"] == saved_for_backward(spec, 8, ("q_proj", "v_proj"), "lora", "bf16", "pure", "sdpa", 4, 128, False).total
    assert got["eager", "0"] > got["sdpa", "0"] > got["sdpa", "1"]


MEASURED = [case for case in json.loads((ROOT / "tests" / "golden" / "activations.json").read_text())["cases"]
            if case["family"] == "llama" and not case["checkpointing"] and case["method"] != "qlora"]
# The measured Llama-style model (tools/measure_activations.py) with two layers, as a custom model.
SMALL_LLAMA = ("--model", "custom", "--arch", "llama", "--hidden", "256", "--intermediate", "688", "--layers", "2",
               "--heads", "4", "--kv-heads", "2", "--vocab", "1000")


def _activations(capsys, case: dict, rules: str) -> int:
    code, out, err = run(capsys, "memory", *SMALL_LLAMA, "--method", case["method"], "--rank", "8", "--targets", case["targets"],
                         "--dtype", "bf16", "--optimizer", "adamw", "--precision", case["precision"], "--batch", str(case["batch"]),
                         "--seq", str(case["seq"]), "--attention", case["attention"], "--ckpt", "0",
                         "--lora-dropout", str(case.get("lora_dropout", 0.0)), "--padded", str(int(case.get("padded", False))),
                         "--rules", rules, "--json")
    assert code == 0, err
    return json.loads(out)["activations"]


@pytest.mark.parametrize("case", MEASURED, ids=lambda c: f"{c['method']}-{c['precision']}-{c['attention']}-{c['targets']}-{c['batch']}x{c['seq']}"
                                                     f"-dropout{c.get('lora_dropout', 0.0)}{'-padded' if c.get('padded') else ''}")
def test_memory_with_the_cpus_rules_equals_what_a_cpu_measured(capsys, case):
    """`--rules cpu` lets anyone check the command line against a measurement on a machine without a GPU."""
    assert _activations(capsys, case, "cpu") == case["layers_2"]


def test_memory_takes_cudas_rules_by_default_and_they_differ_from_the_cpus(capsys):
    """GPT-2's dropout masks and LayerNorm statistics are where the two kernels differ (1-byte masks and fp32 statistics
    on CUDA); on the Llama-style cases above they agree."""
    gpt2 = ("memory", "--model", "gpt2", "--method", "lora", "--rank", "8", "--targets", "c_attn", "--dtype", "bf16",
            "--optimizer", "adamw", "--batch", "1", "--seq", "1024", "--json")
    by_rules = {rules: json.loads(run(capsys, *gpt2, *(("--rules", rules) if rules else ()))[1])["activations"] for rules in ("", "cuda", "cpu")}
    assert by_rules[""] == by_rules["cuda"] != by_rules["cpu"]

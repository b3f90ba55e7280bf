import pytest

from lora_viz.numbers.counts import count_params
from lora_viz.model.budget import matrix_memory
from lora_viz.numbers.memory import (
    bits_per_weight,
    format_bytes,
    tensor_bytes,
)


@pytest.mark.parametrize("dtype, size", [("fp32", 4), ("fp16", 2), ("bf16", 2), ("int8", 1)])
def test_plain_dtypes(dtype, size):
    assert tensor_bytes(1000, dtype) == 1000 * size


def test_nf4_bits_per_weight():
    n = 4096 * 4096
    assert bits_per_weight(n, "nf4") == 4.5  # 4 + 32/64
    assert bits_per_weight(n, "nf4-dq") == pytest.approx(4.127, abs=5e-4)  # 4 + 8/64 + 32/(64·256)
    # bitsandbytes' layout, counted by hand for 4,096²: 8,388,608 B of packed 4-bit pairs, 262,144 one-byte absmax
    # constants (one per 64 weights) and 1,024 fp32 second-level constants (one per 256 of those).
    assert tensor_bytes(n, "nf4-dq") == 8_388_608 + 262_144 + 4_096


def test_nf4_partial_blocks_round_up():
    assert tensor_bytes(1, "nf4") == 1 + 4
    assert tensor_bytes(65, "nf4-dq") == 33 + 2 + 4


def test_training_memory_seed_matrix_bf16_mixed_and_pure():
    """Mixed precision (the default): what is trained in fp32 with fp32 gradients and AdamW states; pure: all in
    bf16. AdamW adds a 4-byte step per trained tensor: one for W, two for A and B."""
    counts = count_params(4096, 4096, 8)
    w = 16_777_216 * 2  # W stored in bf16
    mixed = matrix_memory(counts, "bf16")
    assert (mixed.full.weights, mixed.full.gradients, mixed.full.optimizer_states) == (2 * w, 2 * w, 4 * w + 4)
    adapter = 65_536 * 4  # fp32 adapters
    assert mixed.lora.weights == w + adapter
    assert mixed.lora.gradients == adapter  # frozen W gets no gradient
    assert mixed.lora.optimizer_states == 2 * adapter + 2 * 4 == 524_296  # and no AdamW state
    assert mixed.served_separate == w + adapter and mixed.served_merged == w
    pure = matrix_memory(counts, "bf16", "pure")
    assert (pure.full.weights, pure.full.gradients, pure.full.optimizer_states) == (w, w, 2 * w + 4)
    assert (pure.lora.weights, pure.lora.gradients, pure.lora.optimizer_states) == (w + adapter // 2, adapter // 2, adapter + 8)


def test_one_matrix_follows_the_whole_models_rules():
    """The matrices page and the whole-model page use one AdamW rule and one trained dtype (they once disagreed by
    the step bytes: 524,288 against 524,296 B for the same adapter)."""
    from lora_viz.model.budget import optimizer_bytes

    for precision, size in (("mixed", 4), ("pure", 2)):
        m = matrix_memory(count_params(4096, 4096, 8), "bf16", precision)
        assert m.lora.optimizer_states == optimizer_bytes([(4096 * 8, 1), (8 * 4096, 1)], "adamw", size)
        assert m.full.optimizer_states == optimizer_bytes([(4096 * 4096, 1)], "adamw", size)


def test_full_fine_tuning_of_quantised_weights_is_not_offered():
    assert matrix_memory(count_params(64, 64, 4), "nf4").full is None


def test_format_bytes_binary_units():
    assert format_bytes(33_554_432) == "32 MiB"
    assert format_bytes(1023) == "1,023 B"
    assert format_bytes(1536) == "1.5 KiB"
    assert format_bytes(3 * 2**40) == "3 TiB"


def test_cards_are_named_with_the_memory_nvidia_smi_reports_and_the_verdict_names_the_smallest_that_fits():
    from lora_viz.numbers.memory import CARDS, CUDA_ALLOWANCE, GIB, MIB, card_by_key, fit_text, fit_verdict

    assert [card.bytes for card in CARDS] == sorted(card.bytes for card in CARDS)  # smallest first
    assert card_by_key("rtx4090").bytes == 24_564 * MIB and f"{card_by_key('rtx4090').bytes / GIB:.2f}" == "23.99"  # binary
    assert all(str(card.mib) in card.source.replace(",", "") for card in CARDS)  # each figure says where it was seen
    fits = fit_verdict(int(8.1 * GIB))  # 8.1 GiB of tensors + 1 GiB allowance = 9.1 GiB
    assert fits.card.key == "t4" and fit_text(fits) == "Fits a T4 16 GB: 9.1 of 15.00 GiB"
    t4 = card_by_key("t4").bytes
    assert fit_verdict(t4 - CUDA_ALLOWANCE).card.key == "t4" and fit_verdict(t4 - CUDA_ALLOWANCE + 1).card.key == "l4"
    assert fit_text(fit_verdict(200 * GIB)).startswith("Needs more than one H200 141 GB")
    assert fit_text(fit_verdict(30 * GIB)) == "Fits an A100 40 GB: 31.0 of 40.00 GiB"


def test_zero_with_the_papers_own_recipe_reproduces_its_7_5b_example_on_64_gpus():
    """ZeRO, Figure 1: Ψ = 7.5B, N = 64, mixed precision with Adam (W = 2Ψ, G = 2Ψ, S = 12Ψ): 120 GB, 31.4 GB,
    16.6 GB and 1.9 GB per GPU."""
    from lora_viz.numbers.memory import zero_per_gpu

    psi = 7_500_000_000
    got = [round(zero_per_gpu(2 * psi, 2 * psi, 12 * psi, 0, 64, stage) / 1e9, 1) for stage in range(4)]
    assert got == [120.0, 31.4, 16.6, 1.9]
    assert zero_per_gpu(4000, 4000, 8000, 640, 64, 2) == 4000 + -(-12_000 // 64) + 640  # a frozen base stays whole
    assert zero_per_gpu(4000, 4000, 8000, 640, 64, 3) == -(-16_640 // 64)


def test_zero_splits_the_chosen_recipes_own_bytes():
    """The table ignored the recipe (SGD pure had a quarter of its own total at 'stage 0'); now stage 0 is the recipe's
    weights, gradients and states, and each stage splits those."""
    from lora_viz.model.budget import training_bytes, zero_parts
    from lora_viz.presets import PRESETS
    from lora_viz.numbers.memory import zero_per_gpu

    for optimizer, precision in (("sgd", "pure"), ("adamw", "mixed"), ("adamw8bit", "pure")):
        got = training_bytes(PRESETS["gpt2"], 8, ("c_attn",), "full", "bf16", optimizer, 1, 128, False, precision, True)
        parts = zero_parts(got)
        assert zero_per_gpu(parts.weights, parts.gradients, parts.states, parts.frozen, 8, 0) == got.exact
        assert zero_per_gpu(parts.weights, parts.gradients, parts.states, parts.frozen, 8, 3) == -(-got.exact // 8)


@pytest.mark.parametrize("method", ["lora", "qlora"])
@pytest.mark.parametrize("dtype", ["fp32", "fp16", "bf16"])
@pytest.mark.parametrize("precision", ["mixed", "pure", "plain"])
def test_the_adapter_is_kept_in_one_dtype_by_memory_and_activations(method, dtype, precision):
    """One rule (numbers.memory.trained_dtype): the adapter's bytes per value in its gradients equal what the
    activations' rules cast its input to. QLoRA under pure precision once kept fp16 adapters in one and bf16 in the other."""
    from lora_viz.model.activations import _recipe
    from lora_viz.model.budget import model_counts, training_bytes
    from lora_viz.presets import PRESETS

    spec = PRESETS["gpt2"]
    memory = training_bytes(spec, 8, ("c_attn",), method, dtype, "adamw", 1, 16, False, precision)
    per_value = memory.gradients // model_counts(spec, 8, ("c_attn",)).trainable
    recipe = _recipe(spec, 8, ("c_attn",), method, dtype, precision, "sdpa", 1, 16, False, False, "cuda", 0.0, True, False, "peft")
    assert per_value == recipe.adapter
    assert per_value == (4 if precision in ("mixed", "plain") else 2 if method == "qlora" else {"fp32": 4, "fp16": 2, "bf16": 2}[dtype])

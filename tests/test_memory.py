import pytest

from lora_viz.numbers.counts import count_params
from lora_viz.numbers.memory import (
    bits_per_weight,
    format_bytes,
    matrix_memory,
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


def test_cards_are_decimal_gigabytes_and_the_verdict_names_the_smallest_that_fits():
    from lora_viz.numbers.memory import CUDA_ALLOWANCE, GIB, fit_text, fit_verdict

    assert f"{24 * 10**9 / GIB:.2f}" == "22.35"
    fits = fit_verdict(int(8.1 * GIB))  # 8.1 GiB of tensors + 1 GiB allowance = 9.1 GiB: more than nothing, less than 16 GB
    assert fits.card_gb == 16 and fit_text(fits) == "Fits a 16 GB card: 9.1 of 14.90 GiB"
    assert fit_verdict(16 * 10**9 - CUDA_ALLOWANCE).card_gb == 16 and fit_verdict(16 * 10**9 - CUDA_ALLOWANCE + 1).card_gb == 24
    assert fit_text(fit_verdict(100 * GIB)).startswith("Needs more than one 80 GB card")


def test_zero_formulas_reproduce_the_papers_7_5b_example_on_64_gpus():
    """ZeRO, Figure 1: Ψ = 7.5B, N = 64, K = 12: 120 GB, 31.4 GB, 16.6 GB and 1.9 GB per GPU."""
    from lora_viz.numbers.memory import zero_bytes_per_gpu

    got = [round(zero_bytes_per_gpu(7_500_000_000, 0, 64, stage) / 1e9, 1) for stage in range(4)]
    assert got == [120.0, 31.4, 16.6, 1.9]
    assert zero_bytes_per_gpu(1000, 640, 64, 2) == 2 * 1000 + -(-14 * 1000 // 64) + 640  # a frozen base stays whole
    assert zero_bytes_per_gpu(1000, 640, 64, 3) == -(-16 * 1000 // 64) + 10

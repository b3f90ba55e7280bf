from fractions import Fraction

import pytest

from lora_viz.matrix.text import count_lines, headline_columns, seed_numbers
from lora_viz.numbers.counts import break_even_rank, count_params
from lora_viz.render.markdown import markdown_table
from lora_viz.settings import Settings


def test_seed_question_numbers_exactly():
    c = count_params(4096, 4096, 8)
    assert c.full_trained == c.full_served == 16_777_216
    assert c.lora_trainable == 65_536
    assert c.lora_frozen == 16_777_216
    assert c.served_separate == 16_842_752
    assert c.served_merged == 16_777_216
    assert c.reduction == 256
    assert abs(c.trainable_percent - 0.390625) < 1e-12


def test_counts_are_exact_ints_at_the_largest_size():
    n = 131_072
    c = count_params(n, n, n)
    assert c.full_trained == 17_179_869_184 and type(c.full_trained) is int
    assert c.lora_trainable == 2 * n * n == 34_359_738_368
    assert c.served_separate == 3 * n * n


def test_non_square_counts():
    c = count_params(11008, 4096, 16)  # a Llama-2-7B MLP matrix
    assert c.lora_trainable == 16 * (11008 + 4096) == 241_664
    assert c.full_trained == 45_088_768


def test_break_even_rank():
    assert break_even_rank(4096, 4096) == 2048
    assert break_even_rank(3, 5) == Fraction(15, 8)
    d, k = 4096, 4096
    assert count_params(d, k, 2048).lora_trainable == count_params(d, k, 2048).full_trained
    assert count_params(d, k, 2049).lora_trainable > count_params(d, k, 2049).full_trained


def test_seed_numbers_as_a_table_with_their_formulas():
    table = markdown_table(headline_columns(seed_numbers(Settings(d=4096, k=4096, r=8))))
    lines = table.splitlines()
    assert lines[:2] == ["|   | parameters |", "|:---|---:|"]
    assert lines[2] == "| Full fine-tuning: trains, serves :small[:gray[d·k = 4,096 × 4,096]] | **16,777,216** |"
    assert [line.rsplit("|", 2)[1].strip() for line in lines[2:]] == ["**16,777,216**", "**65,536**", "**16,842,752**", "**16,777,216**"]


@pytest.mark.parametrize("r, line", [
    (8, "LoRA trains 0.3906% of the weights: 256× fewer than full fine-tuning."),
    (2048, "LoRA trains exactly as many parameters as full fine-tuning here: r·(d + k) = d·k."),  # was "100%: 1× fewer"
    (4096, "r·(d + k) is 2× d·k: LoRA trains more parameters than full fine-tuning here."),  # was "200%: 0.5× fewer"
])
def test_the_share_is_compared_the_right_way_round_at_every_rank(r, line):
    assert count_lines(Settings(d=4096, k=4096, r=r))[0] == line

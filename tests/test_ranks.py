from lora_viz.numbers.ranks import rank_options


def test_rank_steps_are_fine_then_logarithmic():
    options = rank_options(4096, 8)
    assert options[:16] == list(range(1, 17))
    assert {20, 24, 28, 32, 64, 2048, 4096} <= set(options)
    assert options == sorted(set(options)) and options[-1] == 4096


def test_rank_options_include_the_current_rank_and_the_maximum():
    assert 37 in rank_options(4096, 37)
    assert rank_options(5, 3) == [1, 2, 3, 4, 5]
    assert rank_options(1000, 8)[-1] == 1000
    assert len(rank_options(131_072, 8)) < 80

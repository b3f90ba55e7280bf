import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as hs

from lora_viz.matrix import values as matrices
from lora_viz.matrix.field import Field, Wave, block_edges
from lora_viz.matrix.figures import delta_figure
from lora_viz.matrix.values import lora_matrices, product_block_means
from lora_viz.settings import Settings


def brute_block_means(dense: np.ndarray, row_edges: np.ndarray, col_edges: np.ndarray) -> np.ndarray:
    return np.array(
        [[dense[a0:a1, b0:b1].mean() for b0, b1 in zip(col_edges[:-1], col_edges[1:])] for a0, a1 in zip(row_edges[:-1], row_edges[1:])]
    )


@hyp_settings(max_examples=40, deadline=None)
@given(hs.integers(1, 40), hs.integers(1, 40), hs.integers(1, 9), hs.integers(1, 9), hs.integers(0, 2**31 - 1))
def test_block_means_equal_brute_force(rows, cols, row_block, col_block, seed):
    field = Field(rows, cols, seed=seed, salt=5, noise=0.7, waves=(Wave(1.5, 0.2, 2.5, 1.1, 0.9),))
    row_edges, col_edges = block_edges(rows, row_block), block_edges(cols, col_block)
    np.testing.assert_allclose(field.block_means(row_edges, col_edges), brute_block_means(field.dense(), row_edges, col_edges), atol=1e-12)


@hyp_settings(max_examples=30, deadline=None)
@given(hs.integers(1, 30), hs.integers(1, 30), hs.integers(1, 8), hs.integers(1, 7), hs.integers(0, 1000))
def test_product_block_means_equal_brute_force(d, k, r, block, seed):
    r = min(r, d, k)
    m = lora_matrices(d, k, r, seed, trained=True)
    product = m.up.dense() @ m.down.dense()
    row_edges, col_edges = block_edges(d, block), block_edges(k, block)
    np.testing.assert_allclose(product_block_means(m.up, m.down, row_edges, col_edges), brute_block_means(product, row_edges, col_edges), atol=1e-10)


def test_block_edges_cover_the_axis_exactly():
    assert block_edges(10, 4).tolist() == [0, 4, 8, 10]
    assert block_edges(3, 5).tolist() == [0, 3]


def test_wave_cells_are_the_stated_cosines():
    field = Field(10, 12, waves=(Wave(2.0, 0.3, 1.5, 1.0, 0.8),))
    i, j = np.arange(10)[:, None], np.arange(12)[None, :]
    expected = 0.8 * np.cos(2 * np.pi * 2 / 10 * (i + 0.5) + 0.3) * np.cos(2 * np.pi * 1.5 / 12 * (j + 0.5) + 1.0)
    np.testing.assert_allclose(field.dense(), expected, atol=1e-12)


def test_w_does_not_change_when_the_rank_moves():
    a, b = lora_matrices(50, 60, 2, 3, True), lora_matrices(50, 60, 20, 3, True)
    np.testing.assert_array_equal(a.w.dense(), b.w.dense())
    # A larger rank only adds columns to the factors.
    np.testing.assert_allclose(b.up.dense()[:, :2], a.up.dense(), atol=1e-12)
    np.testing.assert_allclose(b.down.dense()[:2], a.down.dense(), atol=1e-12)


def test_initialisation_as_in_the_paper():
    m = lora_matrices(20, 30, 4, 0, trained=False)
    assert not m.up.dense().any()  # next to the output: zero
    assert np.abs(m.down.dense()).min() > 0  # next to the input: random
    assert not (m.up.dense() @ m.down.dense()).any()


def test_product_rank_is_at_most_r():
    m = lora_matrices(40, 50, 5, 1, trained=True)
    assert np.linalg.matrix_rank(m.up.dense() @ m.down.dense()) == 5


def test_seeds_reproduce_and_differ():
    a, b, c = (lora_matrices(16, 16, 2, s, True).w.dense() for s in (4, 4, 5))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


@pytest.mark.parametrize("size", [4096, 131_072])
def test_block_means_of_huge_matrices_touch_only_the_corners(size, monkeypatch):
    calls = []
    original = Field.prefix

    def counting_prefix(self, rows, cols):
        calls.append(np.size(rows) * np.size(cols))
        return original(self, rows, cols)

    monkeypatch.setattr(Field, "prefix", counting_prefix)
    m = lora_matrices(size, size, 8, 0, trained=True)
    edges = block_edges(size, -(-size // 96))
    product_block_means(m.up, m.down, edges, edges)
    assert sum(calls) <= 2 * 97 * 9  # grows with blocks·r, not with d·k


def test_product_block_means_in_rank_chunks_equal_brute_force(monkeypatch):
    monkeypatch.setattr(matrices, "RANK_CHUNK", 3)  # 10 ranks: chunks of 3, 3, 3 and 1
    m = lora_matrices(20, 24, 10, 3, trained=True)
    row_edges, col_edges = block_edges(20, 6), block_edges(24, 5)
    brute = brute_block_means(m.up.dense() @ m.down.dense(), row_edges, col_edges)
    np.testing.assert_allclose(product_block_means(m.up, m.down, row_edges, col_edges), brute, atol=1e-10)


def test_delta_at_the_largest_rank_needs_a_few_mb():
    tracemalloc.start()
    try:
        delta_figure(Settings(d=131_072, k=131_072, r=131_072, trained=True))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20  # all ranks at once took 96 MB


def test_doras_magnitude_is_drawn_to_scale_beside_the_output_side_factor():
    """m is d×1: one column as wide as one rank of up, level with up's rows, on a colour scale of its own."""
    from lora_viz.matrix.figures import scale_figure
    from lora_viz.matrix.layout import scale_layout
    from lora_viz.render.sketch import unpacked
    from lora_viz.settings import Settings

    for d, k, r in ((64, 48, 4), (4096, 4096, 8), (1000, 3000, 1)):
        s = Settings(d=d, k=k, r=r, variant="dora")
        g = scale_layout(d, k, r, magnitude=True)
        figure = scale_figure(s)
        m = next(t for t in figure["data"] if t.get("name") == "m")
        x, y = unpacked(m["x"]), unpacked(m["y"])
        assert x[-1] - x[0] == 1 and (y[0], y[-1]) == (g.up.y0, g.up.y1) == (0, d)  # one column, every row
        assert x[0] > g.up.x1 and m["coloraxis"] == "coloraxis3" and figure["layout"]["coloraxis3"]["cmin"] == 0
        assert "m " + f"{d:,}×1" in " ".join(a["text"] for a in figure["layout"]["annotations"])
    assert all(t.get("name") != "m" for t in scale_figure(Settings(variant="lora"))["data"])


def test_the_magnitudes_colour_scale_is_left_alone_by_the_dark_themes_middle():
    """static/chart.js darkMiddle darkens the middle stop of every colour axis with an odd number of stops (the
    diverging weights' scale); m's scale of lengths has an even number, so it keeps its colours in the dark theme."""
    from lora_viz.render.plotly import COLORSCALE, MAGNITUDE_COLORSCALE

    assert len(MAGNITUDE_COLORSCALE) % 2 == 0 and len(COLORSCALE) % 2 == 1
    assert "scale.length % 2 === 0" in (Path(__file__).parents[1] / "static" / "chart.js").read_text()

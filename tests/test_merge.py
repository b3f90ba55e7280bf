import json
import re

import numpy as np
import pytest

from lora_viz.merge import alt as merge_alt
from lora_viz.merge import text as merge_text
from lora_viz.merge.core import merge_frames, merge_twice, product_hover, spectra, token_cost
from lora_viz.merge.figures import hover_templates
from lora_viz.merge.view import compare_outputs, initialisation_gap, merge_example, two_adapters
from lora_viz.numbers.example import example_size, frame_count
from lora_viz.merge.figures import merge_animation
from lora_viz.notation import CARD
from lora_viz.numbers import precision
from lora_viz.render.sketch import unpacked
from lora_viz.settings import Settings

TRAINED = Settings(trained=True, alpha=16)


def test_final_frame_is_w_plus_scaled_product_brute_force():
    e = merge_example(TRAINED)
    frames = merge_frames(e)
    d, k, r = e.size.d, e.size.k, e.size.r
    brute = np.array([[e.w[i, j] + TRAINED.alpha / r * sum(e.up[i, t] * e.down[t, j] for t in range(r)) for j in range(k)] for i in range(d)])
    np.testing.assert_allclose(frames[-1].merged, brute, atol=1e-12)
    assert len(frames) == frame_count(TRAINED.r)


def test_partial_sums_after_i_terms_have_rank_at_most_i():
    e = merge_example(TRAINED)
    terms = [f for f in merge_frames(e) if f.term is not None]
    assert [f.term for f in terms] == list(range(e.size.r))
    for i, frame in enumerate(terms, start=1):
        assert np.linalg.matrix_rank(frame.delta) <= i


def test_example_follows_settings_where_they_fit():
    small = example_size(12, 16, 4)
    assert (small.d, small.k, small.r, small.scaled_down) == (12, 16, 4, False)
    big = example_size(4096, 4096, 64)
    assert (big.d, big.k, big.r, big.scaled_down) == (16, 16, 8, True)


@pytest.mark.parametrize("dtype, tolerance", [("fp32", 1e-5), ("fp16", 2e-3), ("bf16", 2e-2)])
def test_merged_and_separate_agree_within_each_precision(dtype, tolerance):
    _, results = compare_outputs(TRAINED)
    result = next(r for r in results if r.dtype == dtype)
    # Relative to the outputs' size: fp32 has 24 significant bits, fp16 11, bf16 8.
    assert result.separate_vs_merged / result.output_scale < tolerance
    assert result.merged_error / result.output_scale < tolerance


def test_low_precision_merge_is_not_bit_exact_but_fp64_is():
    _, results = compare_outputs(TRAINED)
    by_dtype = {r.dtype: r.separate_vs_merged for r in results}
    assert by_dtype["bf16"] > by_dtype["fp16"] > by_dtype["fp32"] > 0


def test_bf16_rounding_keeps_eight_significant_bits():
    x = np.array([1.0, 1.00390625, 1.005859375, 3.14159265, -2.5e-3], dtype=np.float32)
    rounded = precision.to_bf16(x)
    assert rounded[0] == 1.0 and rounded[1] == 1.0  # a tie rounds to even
    assert rounded[2] == np.float32(1.0078125)
    assert abs(rounded[3] - 3.140625) < 1e-7
    assert (precision.to_bf16(rounded) == rounded).all()


class _Counted:
    """A vector or matrix that counts the multiplications and additions done with it, one number at a time."""

    operations = 0

    def __init__(self, values):
        self.values = np.asarray(values, dtype=float)

    def __matmul__(self, other):
        a, b = self.values, other.values
        out = np.zeros((a.shape[0], b.shape[1]))
        for i in range(a.shape[0]):
            for j in range(b.shape[1]):
                for t in range(a.shape[1]):
                    out[i, j] += a[i, t] * b[t, j]
                    _Counted.operations += 2  # one multiply, one add
        return _Counted(out)

    def __add__(self, other):
        _Counted.operations += self.values.size
        return _Counted(self.values + other.values)


@pytest.mark.parametrize("d, k, r", [(6, 5, 2), (4, 7, 3), (8, 8, 1)])
def test_token_cost_counts_what_a_run_of_each_path_does(d, k, r):
    rng = np.random.default_rng(0)
    w, up, down, x = (_Counted(rng.standard_normal(shape)) for shape in ((d, k), (d, r), (r, k), (k, 1)))
    _Counted.operations = 0
    w @ x + up @ (down @ x)  # served with the adapter separate
    separate = _Counted.operations
    _Counted.operations = 0
    _Counted(w.values + up.values @ down.values) @ x  # served merged (the merge itself is done once, beforehand)
    merged = _Counted.operations
    assert (token_cost(d, k, r).separate, token_cost(d, k, r).merged) == (separate, merged)


def test_delta_has_exactly_r_nonzero_singular_values():
    e = merge_example(TRAINED)
    sv = spectra(e, "fp32")
    r = e.size.r
    assert (sv.delta[:r] > 1e-3).all() and (sv.delta[r:] < 1e-12).all()
    bf16 = spectra(e, "bf16").merged_minus_w
    assert bf16[r] > 1e-6  # rounding W′ to 16 bits lifts the floor


def test_initialisation_merges_to_w_exactly():
    assert initialisation_gap(TRAINED) == 0.0
    e = merge_example(Settings(trained=False))
    assert not e.delta.any()


def test_mistakes():
    e = merge_example(TRAINED)
    twice = merge_twice(e, 0)
    once = e.w + e.delta
    again = once + e.delta  # the same adapter merged a second time
    assert twice.weight_error == pytest.approx(np.abs(again - once).max())
    x = np.random.default_rng([0, 98]).standard_normal(e.size.k)
    assert twice.output_change == pytest.approx(np.linalg.norm((again - once) @ x) / np.linalg.norm(once @ x))
    pair = two_adapters(TRAINED)
    np.testing.assert_allclose(pair.wrong - pair.correct, pair.cross, atol=1e-12)
    np.testing.assert_allclose(pair.concatenated, pair.correct, atol=1e-12)
    assert pair.cross_share > 0.1


def _render(template: str, cell: np.ndarray) -> str:
    """Fill %{customdata[n]:.pf} as Plotly does (the figure carries numbers, the template formats them)."""
    return re.sub(r"%\{customdata\[(\d+)\]:\.(\d)f\}", lambda m: f"{cell[int(m[1])]:.{m[2]}f}", template)


def test_hover_lists_every_product_for_delta_and_merged():
    e = merge_example(Settings(d=4, k=3, r=2, alpha=4, trained=True))
    hover = product_hover(e)
    assert hover.shape == (4, 3, 2 * 2 + 5)
    delta_template, merged_template = hover_templates(CARD, 2, e.scale)
    cell = hover[1, 2]  # row 2, column 3
    products = f"({e.up[1, 0]:.2f})({e.down[0, 2]:.2f}) + ({e.up[1, 1]:.2f})({e.down[1, 2]:.2f})"
    delta = _render(delta_template, cell)
    assert f"ΔW[2,3] = 2 · ({products})<br>= {e.delta[1, 2]:.4f}" in delta
    merged = _render(merged_template, cell)
    assert f"W′[2,3] = {e.w[1, 2]:.4f} + 2 · ({products})" in merged
    assert f"= {e.w[1, 2]:.4f} + {e.delta[1, 2]:.4f} = {e.w[1, 2] + e.delta[1, 2]:.4f}" in merged


@pytest.mark.parametrize("settings", [Settings(trained=True), Settings(d=131_072, k=131_072, r=131_072, trained=True, step=13)])
def test_animation_frames_carry_only_what_changes_and_stay_small(settings):
    payload = merge_animation(settings)
    assert len(payload["frames"]) == frame_count(settings.r)
    for frame in payload["frames"]:
        assert frame["traces"] == [2, 3] and len(frame["data"]) == 2
        assert set(frame["data"][0]) == {"type", "z"}
    assert len(json.dumps(payload["frames"])) < 150_000
    assert len(json.dumps(payload)) < 300_000
    assert "sliders" not in payload["layout"]  # one step control: the page's own, which sets the opening step
    play = payload["layout"]["updatemenus"][0]["buttons"][0]["args"][0]
    assert play == [frame["name"] for frame in payload["frames"]][settings.step:]  # Play goes on from it
    assert payload["layout"]["coloraxis"]["showscale"]  # the colour bar says where the colours clip


@pytest.mark.parametrize("text", [merge_alt.spectra_alt, merge_alt.two_adapters_alt, merge_text.initialisation_text,
                                  merge_text.merging_twice_text, merge_text.two_adapters_text])
def test_texts_cached_by_the_example_equal_the_texts_computed_afresh(text):
    for s in (Settings(), Settings(d=64, k=64, r=20, trained=True), Settings(d=12, k=40, r=3, seed=5, notation="paper"), Settings(r=9, alpha=3)):
        assert text(s) == text.__wrapped__(s)  # so each reads d, k and r only through the example
    assert text(Settings(r=9)) is text(Settings(r=64))  # both show the rank-8 example: one cached text


def test_the_default_merge_animation_changes_w_and_shows_w_beside_w_prime():
    """The page's opening view teaches: a trained adapter, so the merge adds something visible to W."""
    from tests.test_figures import decode

    fig = merge_animation(Settings())
    names = [trace["name"] for trace in fig["data"]]
    assert names == ["A", "B", "ΔW", "W′", "W"]
    w = decode(fig["data"][4]["z"])
    merged = decode(fig["frames"][-1]["data"][1]["z"])
    assert np.abs(merged - w).max() > 0.1


def test_the_merge_animation_has_no_stale_labels_or_highlights():
    """Every frame replaces the shapes whole (same count; the term's highlight shown only on term frames), no label
    says what is true of one frame only, and the slider's ticks are the step numbers."""
    fig = merge_animation(Settings(r=8))
    counts = {len(frame["layout"]["shapes"]) for frame in fig["frames"]}
    assert counts == {len(fig["layout"]["shapes"])}
    lit = [[shape.get("visible", True) for shape in frame["layout"]["shapes"][-2:]] for frame in fig["frames"]]
    assert lit == [[False, False]] + [[True, True]] * 8 + [[False, False]] * 5  # start, 8 terms, α/r, 4 merge steps
    texts = " ".join(note["text"] for note in fig["layout"]["annotations"])
    assert "starts as" not in texts
    assert "sliders" not in fig["layout"]


def test_the_merge_animation_declares_its_linked_highlighting():
    link = merge_animation(Settings(d=4, k=5, r=2))["layout"]["meta"]["link"]
    assert [source["trace"] for source in link["sources"]] == [2, 3, 4]  # ΔW, W′ and W
    assert link["sources"][0]["rows"] == [0, 1, 2, 3, 4] and link["sources"][0]["cols"] == [0, 1, 2, 3, 4, 5]
    assert [target["kind"] for target in link["targets"]] == ["rows", "cols", "cells", "cells", "cells"]


def test_a_cell_says_what_it_holds_in_the_caption_beneath_not_in_a_tooltip_over_it():
    """The tooltip covered the row of A and the cells it was about; the caption under the figure hides nothing."""
    fig = merge_animation(Settings(d=4, k=5, r=2, trained=True))
    assert fig["layout"]["meta"]["caption"].startswith("Point at a cell")
    for trace in fig["data"]:
        assert trace["hoverinfo"] == "none" and "hovertemplate" not in trace and trace["meta"]["caption"]
    delta_template, _ = hover_templates(CARD, 2, 4.0)  # α/r = 8/2
    assert fig["data"][2]["meta"]["caption"] == delta_template


def test_the_play_buttons_take_the_themes_colours():
    """Explicit light colours kept Play and Pause light in a dark theme; the app's theme gives them theirs."""
    menu = merge_animation(Settings())["layout"]["updatemenus"][0]
    assert not {"bgcolor", "bordercolor", "font"} & set(menu)


DORA = Settings(trained=True, alpha=16, variant="dora")


def test_doras_animation_ends_on_pefts_merge_with_a_frame_for_the_normalisation():
    from lora_viz.numbers.variants import dora_merge

    e = merge_example(DORA)
    frames = merge_frames(e)
    assert len(frames) == frame_count(DORA.r, "dora") == frame_count(DORA.r) + 2
    before, normalised, merged = frames[-3], frames[-2], frames[-1]
    np.testing.assert_allclose(before.merged, e.w + e.delta, atol=1e-12)  # where LoRA's merge ends
    assert normalised.kind == "normalised"
    np.testing.assert_allclose(np.linalg.norm(normalised.merged, axis=1), 1.0, atol=1e-12)  # every row of length 1
    # The last frame is numbers/variants.py's DoRA merge (equal to PEFT's merged weight in tests/test_variants.py),
    # in PEFT's names: W out × in, B = up, A = down, s = α/r.
    np.testing.assert_allclose(merged.merged, dora_merge(e.w, e.down, e.up, e.magnitude, DORA.alpha), atol=1e-12)
    assert merge_text.phase_names(DORA)[-3:] == ["100%", "÷ length", "merged"]


def test_an_untrained_dora_adapter_merges_to_w_exactly():
    e = merge_example(Settings(trained=False, variant="dora"))
    np.testing.assert_allclose(merge_frames(e)[-1].merged, e.w, atol=1e-12)


def test_doras_merged_update_is_not_low_rank_and_the_page_says_so():
    e = merge_example(DORA)
    sv = spectra(e, "fp32")
    assert np.sum(sv.delta > 1e-9 * sv.delta[0]) == e.size.r
    assert np.all(sv.merged_minus_w > 1e3 * sv.delta[-1])  # every singular value of W′ − W well above machine zero
    assert "not low rank" in merge_text.spectra_caption(DORA) and "not low rank" not in merge_text.spectra_caption(TRAINED)


def test_doras_separate_and_merged_outputs_agree_in_every_precision():
    _, results = compare_outputs(DORA)
    by_dtype = {r.dtype: r.separate_vs_merged / r.output_scale for r in results}
    assert by_dtype["fp32"] < 1e-5 and by_dtype["fp16"] < 2e-3 and by_dtype["bf16"] < 2e-2


def test_doras_hover_and_the_magnitude_column():
    figure = merge_animation(DORA)
    names = [trace.get("name") for trace in figure["data"]]
    assert names[-1] == "m" and unpacked(figure["data"][-1]["z"]).shape == (merge_example(DORA).size.d, 1)
    _, merged_template = hover_templates(CARD, 8, 1.0, "dora")
    assert "mᵢ · (W + ΔW)[i,j] / ‖(W + ΔW)ᵢ‖" in merged_template and "customdata[22]" in merged_template


def test_rsloras_merge_scales_by_alpha_over_root_r():
    e = merge_example(Settings(trained=True, alpha=16, variant="rslora", r=4, d=8, k=8))
    assert e.scale == pytest.approx(16 / 2)
    assert merge_text.phase_names(Settings(variant="rslora"))[9] == "α/√r"

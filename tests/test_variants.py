"""PEFT's LoRA variants (rsLoRA, DoRA, PiSSA): counts equal PEFT's (tests/golden/peft_variant_counts.json, written by
tools/make_golden.py variants), DoRA's magnitude is its own term, PiSSA's start and DoRA's merge equal PEFT's on a
small layer (tests/golden/variant_math.json), and links, the command line and the export carry the variant."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from harness.pages import chart_specs, open_page
from lora_viz.cli import main as cli
from lora_viz.export import lora_config_snippet, matrix_rows
from lora_viz.matrix.figures import scaling_figure
from lora_viz.matrix.text import count_lines, seed_numbers
from lora_viz.model.budget import model_counts
from lora_viz.numbers.counts import count_params, scaling
from lora_viz.numbers.ranks import rank_options
from lora_viz.numbers.variants import dora_magnitude, dora_merge, pissa_start
from lora_viz.presets import PRESETS, adapter_ranks, custom_model, wrapped_names
from lora_viz.render.sketch import unpacked
from lora_viz.settings import parse_settings, to_query

GOLDEN = json.loads((Path(__file__).parent / "golden" / "peft_variant_counts.json").read_text())["cases"]


def _spec(case: dict):
    return custom_model(**case["custom"]) if case["custom"] else PRESETS[case["model"]]


@pytest.mark.parametrize("case", [c for c in GOLDEN if "refused" not in c], ids=lambda c: f"{c['model']}-{c['variant']}-r{c['r']}-{c['targets']}")
def test_every_variants_count_equals_peft(case):
    spec = _spec(case)
    targets = (case["targets"],) if isinstance(case["targets"], str) else tuple(case["targets"])
    counts = model_counts(spec, case["r"], targets, case["variant"])
    assert (counts.trainable, counts.all) == (case["trainable"], case["all"])


def test_the_golden_file_covers_every_preset_and_variant():
    covered = {(c["model"], c["variant"]) for c in GOLDEN}
    assert {(key, variant) for key in PRESETS for variant in ("rslora", "dora")} <= covered
    assert {c["variant"] for c in GOLDEN} == {"rslora", "dora", "pissa"}
    assert any(c["variant"] == "pissa" and c["model"] == "custom" and "trainable" in c for c in GOLDEN)


@pytest.mark.parametrize("case", [c for c in GOLDEN if "refused" in c], ids=lambda c: f"{c['model']}-{c['variant']}-{c['targets']}")
def test_where_peft_refuses_a_variant_a_link_gets_plain_lora_and_a_notice(case):
    spec = _spec(case)
    targets = (case["targets"],) if isinstance(case["targets"], str) else tuple(case["targets"])
    # PEFT refuses DoRA on a mixture's stacked experts and router, and fails to start PiSSA there
    assert case["variant"] in ("dora", "pissa") and wrapped_names(spec) & set(adapter_ranks(spec, 1, targets))  # the rule's condition
    if not case["custom"]:
        s, notices = parse_settings({"model": case["model"], "targets": ",".join(targets), "variant": case["variant"]})
        assert s.variant == "lora" and any("using plain LoRA" in notice for notice in notices)


def test_doras_magnitude_is_its_own_term_in_the_seed_question():
    c = count_params(4096, 4096, 8, "dora")
    assert (c.lora_trainable, c.magnitude, c.served_separate, c.served_merged) == (65_536 + 4_096, 4_096, 16_846_848, 16_777_216)
    for variant in ("lora", "rslora", "pissa"):
        assert count_params(4096, 4096, 8, variant).lora_trainable == 65_536
    s, _ = parse_settings({"variant": "dora"})
    headline = seed_numbers(s)[1]
    assert headline.value == 69_632 and headline.formula.startswith("A + B + m = 4,096×8 + 8×4,096 + 4,096")
    assert "magnitude" in " ".join(count_lines(s))


def test_rsloras_scaling_is_alpha_over_the_root_of_r():
    assert scaling(8, 16, "rslora") == 2.0 and scaling(8, 16) == 0.5
    s, _ = parse_settings({"variant": "rslora", "r": "16"})
    assert "α/√r" in " ".join(count_lines(s))


@pytest.mark.parametrize("variant, line", [("rslora", "use_rslora=True"), ("dora", "use_dora=True"), ("pissa", 'init_lora_weights="pissa"')])
def test_links_the_command_line_and_the_export_carry_the_variant(variant, line, capsys):
    s, notices = parse_settings({"variant": variant, "model": "llama-3-8b", "targets": "q_proj,v_proj"})
    assert not notices and to_query(s)["variant"] == variant
    assert line in lora_config_snippet(s)
    assert cli(["count", "--model", "llama-3-8b", "--rank", "8", "--targets", "q_proj,v_proj", "--variant", variant, "--json"]) == 0
    trainable = json.loads(capsys.readouterr().out)["trainable"]
    assert trainable == 3_407_872 + (32 * (4096 + 1024) if variant == "dora" else 0)  # DoRA: + out_features per adapted layer
    assert any(row.value == count_params(4096, 4096, 8, variant).lora_trainable for row in matrix_rows(parse_settings({"variant": variant})[0]))


def test_plain_lora_writes_no_switch_and_no_variant_in_the_link():
    s, _ = parse_settings({})
    assert "variant" not in to_query(s)
    assert "use_rslora" not in lora_config_snippet(s) and "use_dora" not in lora_config_snippet(s)


def test_rsloras_chart_compares_the_two_scalings_at_every_rank_and_shows_only_for_rslora():
    s, _ = parse_settings({"variant": "rslora", "alpha": "16", "r": "64"})
    lora, rslora = scaling_figure(s)["data"]
    ranks = rank_options(4096, 64)
    assert list(unpacked(lora["x"])) == ranks
    assert list(unpacked(lora["y"])) == [16 / r for r in ranks]
    assert list(unpacked(rslora["y"])) == pytest.approx([16 / r ** 0.5 for r in ranks])
    layout = scaling_figure(s)["layout"]
    assert layout["shapes"][0]["x0"] == 64 and layout["annotations"][0]["x"] == pytest.approx(math.log10(64))  # a note on a log axis
    titles = [spec["layout"].get("title", {}).get("text", "") for spec in chart_specs(open_page("pages/matrices.py", {"variant": "rslora"}))]
    assert any(title.startswith("The scaling of ΔW") for title in titles)
    titles = [spec["layout"].get("title", {}).get("text", "") for spec in chart_specs(open_page("pages/matrices.py", {}))]
    assert not any(title.startswith("The scaling of ΔW") for title in titles)


MATH = json.loads((Path(__file__).parent / "golden" / "variant_math.json").read_text())


def _aligned(a: np.ndarray, b: np.ndarray, golden_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A and B with each rank-1 pair's sign as PEFT's SVD chose it (a singular vector's sign is arbitrary; the pair's
    product, and so everything the model computes, is not)."""
    signs = np.sign(np.sum(b * golden_b, axis=0))
    return a * signs[:, None], b * signs[None, :]


def test_pissas_start_equals_pefts_on_a_small_matrix():
    w, r, alpha = np.array(MATH["w"]), MATH["r"], MATH["alpha"]
    start = pissa_start(w, r, alpha)
    golden = {key: np.array(value) for key, value in MATH["pissa"].items()}
    a, b = _aligned(start.a, start.b, golden["b"])
    assert np.allclose(a, golden["a"], atol=1e-5) and np.allclose(b, golden["b"], atol=1e-5)
    assert np.allclose(start.residual, golden["residual"], atol=1e-5)
    assert np.allclose(start.residual + alpha / r * start.b @ start.a, w)  # the model is unchanged at the start


def test_doras_merge_equals_pefts_merged_weights_on_a_small_layer():
    w, alpha, dora = np.array(MATH["w"]), MATH["alpha"], {key: np.array(value) for key, value in MATH["dora"].items()}
    assert np.allclose(dora_magnitude(w), dora["initial_magnitude"], atol=1e-5)  # m starts at W's row norms
    assert np.allclose(dora_merge(w, dora["a"], dora["b"], dora["magnitude"], alpha), dora["merged"], atol=1e-5)
    zero = np.zeros_like(dora["b"])
    assert np.allclose(dora_merge(w, dora["a"], zero, dora_magnitude(w), alpha), w)  # W′ = W before training


def test_whole_model_prices_doras_activations_and_names_its_dense_delta_w_when_it_sets_the_peak():
    from lora_viz.model.peak import DORA_MOMENT
    from lora_viz.model.text import variant_lines
    from lora_viz.model.view import model_view

    few, many = ({"model": "llama-3-8b", "targets": "q_proj,v_proj", "variant": "dora", "batch": str(b), "seq": str(n)}
                 for b, n in ((1, 64), (8, 2048)))
    for query, sets_it in ((few, True), (many, False)):
        s, notices = parse_settings(query)
        view = model_view(s)
        peak = view.training["lora"].peak
        lines = " ".join(variant_lines(s, view))
        assert not notices and (peak.at.where == DORA_MOMENT) == sets_it
        assert ("here they set it" in lines) == sets_it and "lower bound" not in lines
        lora = model_view(parse_settings({**query, "variant": "lora"})[0]).training["lora"]
        assert view.training["lora"].activations - lora.activations == view.training["lora"].saved.dora_kept > 0


CONVERSIONS = json.loads((Path(__file__).parent / "golden" / "peft_pissa_conversion.json").read_text())["cases"]


@pytest.mark.parametrize("case", CONVERSIONS, ids=lambda c: f"{c['custom']['arch']}-r{c['r']}-{c['targets']}")
def test_pissas_adapter_served_on_the_original_base_is_pefts_rank_2r_conversion(case):
    from lora_viz.model.budget import served_adapter_count

    spec = custom_model(**case["custom"])
    targets = tuple(case["targets"]) if isinstance(case["targets"], list) else (case["targets"],)
    assert case["served_rank"] == 2 * case["r"]
    assert served_adapter_count(spec, case["r"], targets, "pissa") == case["served"]
    assert served_adapter_count(spec, case["r"], targets, "lora") * 2 == case["served"]


def test_whole_models_serving_says_what_pissas_adapter_becomes():
    from lora_viz.model.text import serving_lines
    from lora_viz.model.view import model_view

    s, _ = parse_settings({"model": "llama-3-8b", "variant": "pissa"})
    lines = serving_lines(s, model_view(s))
    assert "a plain LoRA of rank 2r = 16 (6,815,744 parameters, twice the 3,407,872 trained)" in lines[-1]
    plain, _ = parse_settings({"model": "llama-3-8b"})
    assert model_view(s).serving.adapter_file == 2 * model_view(plain).serving.adapter_file
    assert not any("PiSSA" in line for line in serving_lines(plain, model_view(plain)))

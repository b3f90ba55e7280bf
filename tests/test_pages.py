"""Every page through streamlit.testing.v1.AppTest: links seed the controls, controls change the numbers and the URL."""

import json
from urllib.parse import parse_qsl

import pytest
from streamlit.testing.v1 import AppTest

from lora_viz.render.markdown import bytes_text
from lora_viz.settings import LINK_VERSION, parse_settings
from harness.pages import (
    SCRIPTS,
    chart_specs,
    charts,
    link_query,
    metric_values,
    notices,
    open_page,
    tables,
)


@pytest.mark.parametrize("script", ["app.py", "pages/matrices.py"])
def test_seed_link_shows_the_four_numbers(script):
    at = open_page(script, {"d": "4096", "k": "4096", "r": "8"})
    assert not at.exception
    assert metric_values(at) == ["16,777,216", "65,536", "16,842,752", "16,777,216"]
    assert at.number_input(key="d").value == 4096 and at.select_slider(key="r").value == 8


# What each page's metrics show at d = k = 4096 for r = 8 and after the rank moves to 16.
EXPECTED_METRICS = {
    "app.py": (["16,777,216", "65,536", "16,842,752", "16,777,216"], ["16,777,216", "131,072", "16,908,288", "16,777,216"]),
    "pages/matrices.py": (["16,777,216", "65,536", "16,842,752", "16,777,216"], ["16,777,216", "131,072", "16,908,288", "16,777,216"]),
    "pages/merge.py": ([], []),  # no metrics: FLOPs per token are in a table (checked below)
    "pages/whole_model.py": (["4,194,304", "6,738,415,616", "6,742,609,920"], ["8,388,608", "6,738,415,616", "6,746,804,224"]),
    "pages/low_rank.py": ([], []),  # no metrics: the numbers are in the training summary
    "pages/lesson.py": ([], []),  # no metrics: the numbers are revealed step by step
}


def test_every_page_has_expected_metrics():
    assert set(EXPECTED_METRICS) == set(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_moving_the_rank_changes_numbers_and_url(script):
    before, after = EXPECTED_METRICS[script]
    at = open_page(script, {"d": "4096", "k": "4096", "r": "8"})
    assert metric_values(at) == before
    at.select_slider(key="r").set_value(16).run()
    assert not at.exception
    assert metric_values(at) == after
    assert at.query_params["r"] == "16"
    if script == "pages/merge.py":
        flops = tables(at)[1]["at 4,096×4,096, r = 16"]
        assert flops == ["33,554,432", "33,820,672 (+0.793%)"]  # 2dk; 2dk + 2r(d + k) + d
    if script == "pages/low_rank.py":
        assert any("LoRA at r = 16" in m.value for m in at.markdown)
    if script == "pages/lesson.py":
        assert "r = 16" in at.caption[0].value


@pytest.mark.parametrize("script", SCRIPTS)
def test_link_round_trips_every_setting(script):
    query = {"d": "11008", "k": "4096", "r": "24", "alpha": "32", "dtype": "nf4-dq", "notation": "paper", "seed": "7", "trained": "1"}
    at = open_page(script, query)
    assert not at.exception and not at.warning
    assert {key: link_query(at)[key] for key in query} == query
    assert at.radio(key="notation").value == "paper" and at.toggle(key="trained").value is True
    assert at.selectbox(key="dtype").value == "nf4-dq" and at.number_input(key="alpha").value == 32


@pytest.mark.parametrize("script", SCRIPTS)
def test_hostile_link_gives_notices_not_errors(script):
    query = {"d": "-5", "k": "1e12", "r": "NaN", "alpha": "inf", "dtype": "<script>alert(1)</script>", "seed": "9" * 30, "x": "**y**"}
    at = open_page(script, query)
    assert not at.exception
    notice = notices(at)
    for key in ("d:", "k:", "r:", "alpha:", "dtype:", "seed:", "“x”"):
        assert key in notice
    assert "“<script>alert(1)</script>”" in "\n".join(t.value for t in at.text)  # quoted as plain text, never parsed
    assert not any("<script>" in e.value for e in [*at.markdown, *at.warning, *at.caption])
    assert at.query_params["d"] == "1" and at.query_params["k"] == "131072" and "x" not in at.query_params


def test_a_page_keeps_only_the_controls_it_draws_in_the_session():
    """A control takes its setting's value as it is drawn; the other pages' settings stay in the link. (Every widget
    walks the whole session on every run, so each extra key costs every move a little.)"""
    at = open_page("pages/matrices.py", {"model": "gpt2", "batch": "4", "r": "16"})
    assert "r" in at.session_state and at.select_slider(key="r").value == 16
    assert "model" not in at.session_state and "batch" not in at.session_state
    at.select_slider(key="r").set_value(32).run()
    assert (at.query_params["model"], at.query_params["batch"], at.query_params["r"]) == ("gpt2", "4", "32")


def test_dimension_change_clamps_rank_with_a_notice():
    at = open_page("pages/matrices.py", {"d": "4096", "k": "4096", "r": "64"})
    at.number_input(key="k").set_value(32).run()
    assert at.select_slider(key="r").value == 32
    assert "min(d, k)" in notices(at)
    assert metric_values(at)[1] == f"{32 * (4096 + 32):,}"


def test_matrices_page_draws_to_scale_and_updates_memory():
    at = open_page("pages/matrices.py", {"d": "4096", "k": "4096", "r": "8", "dtype": "bf16", "trained": "0"})
    assert len(charts(at)) == 1  # the drawing, its magnified corner beneath it (ΔW = 0 is said in words)
    assert "Magnified corner" in charts(at)[0]["spec"]
    assert bytes_text(33_554_432) in tables(at)[1]["Full fine-tuning"]  # after the parameter table
    at.selectbox(key="dtype").set_value("fp32").run()
    assert bytes_text(67_108_864) in tables(at)[1]["Full fine-tuning"]
    at.toggle(key="trained").set_value(True).run()
    assert len(charts(at)) == 2


def test_large_rank_delta_is_computed_in_the_run_its_frame_asks_for():
    at = open_page("pages/matrices.py", {"d": "131072", "k": "131072", "r": "131072", "trained": "1"})
    drawing, stand_in = charts(at)
    assert "computing its exact block means" in stand_in["spec"] and "Computing ΔW" in at.info[0].body
    assert drawing["request"] == "" and "r=131072" in stand_in["request"]
    at.run()  # a run its frame did not ask for (another control moved, say): still the stand-in
    assert "computing" in charts(at)[1]["spec"]
    at.session_state["chart-delta"] = {"request": stand_in["request"]}  # as the chart sets it
    at.run()
    delta = charts(at)[1]
    assert "131,072×131,072 like W<br>(exact means of" in json.loads(delta["spec"])["layout"]["title"]["text"]
    assert delta["request"] == "" and not at.info and not at.exception


def test_the_matrices_memory_table_follows_the_training_precision():
    at = open_page("pages/matrices.py", {"d": "4096", "k": "4096", "r": "8", "dtype": "bf16"})
    memory = tables(at)[1]
    assert memory["Full fine-tuning"][0] == bytes_text(67_108_864)  # mixed: W's fp32 master copy
    assert bytes_text(524_296) == memory["LoRA"][2]  # fp32 AdamW states of A and B, and two steps
    at.radio(key="precision").set_value("pure").run()
    memory = tables(at)[1]
    assert memory["Full fine-tuning"][0] == bytes_text(33_554_432) and "(262,152\u00a0B)" in memory["LoRA"][2]


def test_small_matrices_need_no_magnifier():
    at = open_page("pages/matrices.py", {"d": "48", "k": "48", "r": "8"})
    assert len(charts(at)) == 2  # the drawing alone, then ΔW
    assert any("Every weight is drawn as one cell" in element.value for element in at.markdown)


def _agrees_with_url(at: AppTest, shown: str) -> bool:
    return all(at.query_params[key] == value for key, value in parse_qsl(shown))


@pytest.mark.parametrize("script", ["pages/matrices.py", "pages/merge.py", "pages/whole_model.py", "pages/low_rank.py"])
def test_chart_frames_record_settings_that_agree_with_the_url(script):
    at = open_page(script, {"d": "64", "k": "64", "r": "12", "seed": "3", "steps": "30"})
    at.select_slider(key="r").set_value(16).run()
    assert charts(at)
    for chart in charts(at):
        assert chart["settings"] and _agrees_with_url(at, chart["settings"]), chart["settings"]


def test_a_figure_the_rank_does_not_change_sends_the_same_message():
    """The merge example stops at rank 8: above it a rank move leaves its figures, and their frames' arguments,
    exactly as they were (so Streamlit need not send them again). The matrices' drawings do change."""
    at = open_page("pages/merge.py", {"r": "12", "trained": "1"})
    before = charts(at)
    at.select_slider(key="r").set_value(16).run()
    assert charts(at) == before
    at = open_page("pages/matrices.py", {"r": "12"})
    before = charts(at)
    at.select_slider(key="r").set_value(16).run()
    assert all(old["spec"] != new["spec"] and "r=16" in new["settings"] for old, new in zip(before, charts(at)))


@pytest.mark.parametrize("notation", ["card", "paper"])
@pytest.mark.parametrize("dtype", ["fp32", "fp16", "bf16", "nf4"])
def test_merge_page_opens_from_links(notation, dtype):
    at = open_page("pages/merge.py", {"notation": notation, "dtype": dtype, "trained": "1", "r": "4", "step": "3"})
    assert not at.exception and not at.warning
    animation = chart_specs(at)[0]
    assert len(animation["frames"]) == 4 + 6
    assert animation["layout"]["updatemenus"][0]["buttons"][0]["args"][0][0] == animation["frames"][3]["name"]
    names = [trace["name"] for trace in animation["data"]]
    assert names == (["A", "B", "ΔW", "W′", "W"] if notation == "card" else ["B", "A", "ΔW", "W′", "W"])
    assert tables(at)[0]["precision"] == ["fp32", "fp16", "bf16"]


def test_merge_step_control_round_trips_and_clamps():
    at = open_page("pages/merge.py", {"r": "2", "step": "99", "trained": "1"})
    assert "step" in notices(at) and at.query_params["step"] == "7"
    at.select_slider(key="step").set_value(2).run()
    assert at.query_params["step"] == "2"
    animation = chart_specs(at)[0]
    assert animation["layout"]["updatemenus"][0]["buttons"][0]["args"][0][0] == animation["frames"][2]["name"]


def test_merge_page_follows_the_variant_from_its_link_and_its_select_box():
    at = open_page("pages/merge.py", {"r": "2", "step": "99", "trained": "1", "variant": "dora"})
    assert at.query_params["step"] == "9"  # DoRA's two more frames: the link may open on the last
    animation = chart_specs(at)[0]
    assert [frame["name"] for frame in animation["frames"]][-3:] == ["100%", "÷ length", "merged"]
    assert [trace["name"] for trace in animation["data"]][-1] == "m"
    assert any(m.value.startswith("# Merge: W′ = m ⊙ (W + A×B) / ‖W + A×B‖") for m in at.markdown)
    at.selectbox(key="variant").set_value("lora").run()  # back to LoRA: the step is clamped to its last frame
    assert "variant" not in at.query_params and at.query_params["step"] == "7"
    assert [trace["name"] for trace in chart_specs(at)[0]["data"]][-1] == "W"


def test_merge_page_offers_a_trained_adapter_at_initialisation():
    at = open_page("pages/merge.py", {"trained": "0"})
    assert "ΔW = 0" in at.info[0].value
    at.button[0].click().run()
    assert "trained" not in at.query_params and not at.info  # on is the default: the link leaves it out


def test_whole_model_page_shows_peft_numbers_and_memory():
    at = open_page("pages/whole_model.py", {"model": "gpt2", "targets": "c_attn", "r": "8", "dtype": "bf16", "method": "lora"})
    assert not at.exception and not at.warning
    assert "`trainable params: 294,912 || all params: 124,734,720 || trainable%: 0.2364`" in [m.value for m in at.markdown]
    assert not at.code  # inline: a code block would load Streamlit's syntax highlighter
    parts = dict(zip(tables(at)[0][""], tables(at)[0]["bytes"]))
    assert parts["Gradients"] == "1,179,648" and parts["Optimizer states"] == "2,359,392"
    assert dict(zip(tables(at)[0][""], tables(at)[0]["size"]))["Gradients"] == "1.12 MiB"
    at.multiselect(key="targets").set_value(["all-linear"]).run()
    assert metric_values(at)[0] == "1,179,648" and at.query_params["targets"] == "all-linear"
    at.radio(key="method").set_value("full").run()
    parts = dict(zip(tables(at)[0][""], tables(at)[0]["bytes"]))
    assert parts["Gradients"] == "497,759,232"  # every weight, in fp32 under mixed precision (the default)
    at.radio(key="precision").set_value("pure").run()
    parts = dict(zip(tables(at)[0][""], tables(at)[0]["bytes"]))
    assert parts["Gradients"] == "248,879,616" and at.query_params["precision"] == "pure"  # every weight, bf16
    assert "pure precision" in " ".join(c.value for c in at.caption)  # the recipe is said beside the numbers


def test_whole_model_page_says_whether_it_fits_a_card_and_what_zero_does():
    at = open_page("pages/whole_model.py", {"model": "llama-2-7b", "method": "full"})
    text = " ".join(m.value for m in at.markdown)
    # The step peaks at the optimizer step: 100 GiB of weights, gradients and AdamW states (mixed), and the foreach
    # update's temporary, 4 bytes a parameter
    assert "Fits an H200 141 GB: 126.5 of 140.40 GiB" in text and "The step peaks at the optimizer step" in text
    assert "(W + G + S)/N" in text and "Fits on 8 × A100 80 GB at ZeRO stage 2: 59.4 of 80.00 GiB per GPU" in text
    before = next(t for t in tables(at) if "ZeRO stage" in t)["peak per GPU, N = 8"]
    at.number_input(key="gpus").set_value(64).run()
    after = next(t for t in tables(at) if "ZeRO stage" in t)["peak per GPU, N = 64"]
    assert after[0] == before[0] and after[3] != before[3]  # stage 0 replicates everything; stage 3 divides by N
    at.selectbox(key="card").set_value("rtx4090").run()
    at.radio(key="zero").set_value(1).run()
    assert "Does not fit on 64 × RTX 4090 24 GB at ZeRO stage 1" in " ".join(m.value for m in at.markdown)
    assert at.query_params["card"] == "rtx4090" and at.query_params["zero"] == "1"
    at.radio(key="method").set_value("qlora").run()
    assert "Fits a T4 16 GB" in " ".join(m.value for m in at.markdown)  # a 4-bit base, checkpointed as PEFT prepares it


def test_whole_model_page_opens_a_newer_family_and_says_how_its_layout_departs_from_llamas():
    at = open_page("pages/whole_model.py", {"model": "qwen3-4b", "method": "lora", "r": "8", "targets": "all-linear"})
    text = " ".join(m.value for m in at.markdown)
    assert not at.exception and "Whole model: Qwen3-4B" in text
    assert "head_dim to 128 (not 2,560 ÷ 32 = 80)" in text and "tied" in text and "q_norm, k_norm" in text
    assert "all params: 4,038,983,168" in text  # PEFT's count at r = 8 on every linear layer (tests/golden/peft_counts.json)


def test_the_qlora_papers_example_opens_on_a_click_and_writes_its_view_into_the_address():
    at = open_page("pages/whole_model.py", {})
    next(b for b in at.button if "QLoRA paper's headline" in b.label).click().run()
    assert not at.exception and at.query_params["model"] == "llama-65b" and at.query_params["qlora_recipe"] == "paper"
    assert "Fits an L40S 48 GB" in " ".join(m.value for m in at.markdown)
    assert not [b for b in at.button if "QLoRA paper's headline" in b.label]  # shown only where it would change the view


def test_a_pasted_config_json_opens_as_a_custom_model_with_the_presets_numbers():
    """Qwen3-4B's config.json pasted and read: the page names what it used, and its button opens a custom model
    whose counts are PEFT's for the preset, with the address holding it; bad text gets a plain notice and no button."""
    config = {"head_dim": 128, "hidden_size": 2560, "intermediate_size": 9728, "model_type": "qwen3", "num_attention_heads": 32,
              "num_hidden_layers": 36, "num_key_value_heads": 8, "tie_word_embeddings": True, "vocab_size": 151936, "rope_theta": 1e6}
    at = open_page("pages/whole_model.py", {"targets": "all-linear", "r": "8"})
    at.text_area(key="_config_json").input(json.dumps(config))
    next(b for b in at.button if b.label == "Read it").click().run()
    said = " ".join(t.value for t in at.text)
    assert not at.exception and "Read as “qwen3”" in said and "“rope_theta”" in said
    next(b for b in at.button if "as a custom model" in b.label).click().run()
    assert at.query_params["model"] == "custom" and at.query_params["head_dim"] == "128"  # the address holds the view
    assert "all params: 4,038,983,168" in " ".join(m.value for m in at.markdown)  # the Qwen3-4B preset's, from PEFT
    at.text_area(key="_config_json").input('{"model_type": "gemma3"')
    next(b for b in at.button if b.label == "Read it").click().run()
    assert not at.exception and "Not JSON" in " ".join(t.value for t in at.text)
    assert not [b for b in at.button if "as a custom model" in b.label]


def test_whole_model_page_judges_the_fit_by_the_steps_peak_and_says_where_it_happens():
    """Llama-3-8B LoRA r = 16 at 1,024 tokens: the parts add up to a 24 GB card's worth, the step's peak (the loss's
    gradient over 128,256 words) needs an A100 40 GB, and the page says so, with the moments behind it."""
    at = open_page("pages/whole_model.py", {"model": "llama-3-8b", "method": "lora", "r": "16", "targets": "all-linear",
                                            "seq": "1024", "ckpt": "0"})
    text = " ".join(m.value for m in at.markdown)
    assert "Fits an A100 40 GB" in text and "The step peaks at the start of backward, the loss's gradient" in text
    moments = next(t for t in tables(at) if "moment of the step" in t)
    assert "**The start of backward, the loss's gradient**" in moments["moment of the step"]
    # the loss, the start of backward, the last layer's forward (LoRA on up_proj) and backward, the optimizer step
    assert len(moments["moment of the step"]) == 5
    cards = next(t for t in tables(at) if "card" in t)
    assert any(header.startswith("without (peak") for header in cards)
    assert "no," in cards[next(h for h in cards if h.startswith("without"))][2]  # the RTX 4090 is short of the peak
    at.selectbox(key="optimizer").set_value("sgd").run()
    assert at.query_params["optimizer"] == "sgd" and "The step peaks at" in " ".join(m.value for m in at.markdown)


def test_whole_model_page_prices_the_attention_kernel_and_labels_checkpointings_three_parts():
    at = open_page("pages/whole_model.py", {"model": "llama-3-8b", "method": "qlora", "r": "16", "targets": "all-linear"})
    rows = dict(zip(tables(at)[0][""], tables(at)[0]["bytes"]))
    assert "· one layer, recomputed in backward" in rows  # QLoRA as PEFT prepares it checkpoints
    text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "Fits a T4 16 GB" in text and "With gradient checkpointing off: fits an A100 40 GB" in text
    cards = next(t for t in tables(at) if "card" in t)
    assert cards["card"][2] == "RTX 4090 24 GB (23.99 GiB)" and [c[2].split(",")[0] for n, c in cards.items() if n != "card"] == ["fits", "no"]
    assert "SDPA attention" in text and "Korthikanti" not in text
    sdpa = rows["Activations (saved for backward)"]
    at.radio(key="attention").set_value("eager").run()
    rows = dict(zip(tables(at)[0][""], tables(at)[0]["bytes"]))
    assert at.query_params["attention"] == "eager" and rows["Activations (saved for backward)"] != sdpa
    assert "eager attention" in " ".join(c.value for c in at.caption)


def test_whole_model_page_prices_lora_dropout_says_so_and_exports_it():
    """PEFT's lora_dropout: each adapted layer keeps its dropped input and a 1-byte mask (CUDA); off by default."""
    from lora_viz.export import lora_config_snippet
    from lora_viz.model.activations import saved_for_backward
    from lora_viz.presets import PRESETS, target_names

    at = open_page("pages/whole_model.py", {"model": "llama-3-8b", "r": "16", "targets": "all-linear", "seq": "512"})
    off = dict(zip(tables(at)[0][""], tables(at)[0]["bytes"]))["Activations (saved for backward)"]
    assert at.slider(key="lora_dropout").value == 0.0 and "LoRA dropout" not in " ".join(m.value for m in at.markdown)
    at.slider(key="lora_dropout").set_value(0.1).run()
    on = dict(zip(tables(at)[0][""], tables(at)[0]["bytes"]))["Activations (saved for backward)"]
    assert at.query_params["lora_dropout"] == "0.1" and "with AdamW, batch 1, sequence 512, LoRA dropout 0.1" in " ".join(m.value for m in at.markdown)
    spec = PRESETS["llama-3-8b"]
    expected = {drop: saved_for_backward(spec, 16, target_names(spec), "lora", "bf16", "mixed", "sdpa", 1, 512, False, lora_dropout=drop).total
                for drop in (0.0, 0.1)}
    assert (int(off.replace(",", "")), int(on.replace(",", ""))) == (expected[0.0], expected[0.1]) and expected[0.1] > expected[0.0]
    assert "each adapted layer drops out its own copy of its input" in " ".join(c.value for c in at.caption)
    assert "lora_dropout=0.1," in lora_config_snippet(parse_settings(dict(at.query_params))[0])
    at = open_page("pages/whole_model.py", {"method": "full", "lora_dropout": "0.1"})
    assert not at.exception and not [s for s in at.slider if s.key == "lora_dropout"]  # LoRA's alone
    assert "LoRA dropout" not in " ".join(m.value for m in at.markdown)


def test_plain_precision_is_peft_without_autocast_on_the_pages_that_price_training():
    """Third precision: fp32 adapters on the 16-bit base without autocast (the measured Llama-3-8B case); for full
    fine-tuning it is pure."""
    at = open_page("pages/whole_model.py", {"model": "llama-3-8b", "r": "16", "targets": "all-linear", "seq": "2048"})
    mixed = dict(zip(tables(at)[0][""], tables(at)[0]["bytes"]))
    at.radio(key="precision").set_value("plain").run()
    plain = dict(zip(tables(at)[0][""], tables(at)[0]["bytes"]))
    assert at.query_params["precision"] == "plain" and "plain precision, PEFT's defaults without autocast" in " ".join(c.value for c in at.caption)
    assert plain["Gradients"] == mixed["Gradients"] and plain["Activations (saved for backward)"] != mixed["Activations (saved for backward)"]
    full = {p: open_page("pages/whole_model.py", {"method": "full", "precision": p}) for p in ("pure", "plain")}
    assert tables(full["pure"])[0] == tables(full["plain"])[0]
    at = open_page("pages/matrices.py", {"precision": "plain"})
    assert not at.exception and "plain precision" in " ".join(m.value for m in at.markdown)


def test_whole_model_page_offers_paged_adamw_and_says_what_its_verdict_assumes():
    at = open_page("pages/whole_model.py", {"model": "llama-3-8b", "method": "qlora", "targets": "all-linear", "r": "64"})
    states = lambda: dict(zip(tables(at)[0][""], tables(at)[0]["bytes"]))["Optimizer states"]
    adamw = states()
    at.selectbox(key="optimizer").set_value("paged_adamw").run()
    assert at.query_params["optimizer"] == "paged_adamw" and states() != adamw
    text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "with Paged AdamW 32-bit (bitsandbytes)" in text and "pages them to the host's memory" in text


def test_the_qlora_papers_recipe_shows_the_preparation_it_implies_and_exports_its_casts():
    """qlora.py always calls prepare_model_for_kbit_training (checkpointing on): the switches say so, even from a link
    that turned preparation off; the configuration snippet carries the paper's casts."""
    from lora_viz.export import lora_config_snippet

    at = open_page("pages/whole_model.py", {"method": "qlora", "qlora_recipe": "paper", "prepared": "0"})
    toggles = {t.key: t for t in at.toggle}
    assert toggles["_prepared_paper"].value is True and toggles["_prepared_paper"].proto.disabled
    assert toggles["_ckpt_prepared"].value is True and "prepared" not in toggles
    snippet = lora_config_snippet(parse_settings(dict(at.query_params))[0])
    assert "prepare_model_for_kbit_training(model)" in snippet and "module.to(torch.bfloat16)" in snippet
    at = open_page("pages/whole_model.py", {"method": "lora", "qlora_recipe": "paper"})
    assert not [r for r in at.radio if r.key == "qlora_recipe"]  # QLoRA's alone


def test_whole_model_page_prices_a_padded_batch_and_says_so():
    at = open_page("pages/whole_model.py", {"model": "llama-3-8b", "batch": "4", "seq": "1024"})
    activations = lambda: dict(zip(tables(at)[0][""], tables(at)[0]["bytes"]))["Activations (saved for backward)"]
    plain = activations()
    assert at.toggle(key="padded").value is False
    at.toggle(key="padded").set_value(True).run()
    assert at.query_params["padded"] == "1" and int(activations().replace(",", "")) > int(plain.replace(",", ""))
    assert "batch 4, sequence 1,024, padded" in " ".join(m.value for m in at.markdown)


def test_whole_model_page_turns_the_models_own_dropout_off_and_says_so():
    at = open_page("pages/whole_model.py", {"model": "gpt2", "targets": "c_attn", "seq": "1024"})
    activations = lambda: dict(zip(tables(at)[0][""], tables(at)[0]["bytes"]))["Activations (saved for backward)"]
    released = activations()
    assert at.toggle(key="model_dropout").value is True and "dropout off" not in " ".join(m.value for m in at.markdown)
    at.toggle(key="model_dropout").set_value(False).run()
    assert at.query_params["model_dropout"] == "0" and activations() != released
    assert "sequence 1,024, the model's own dropout off" in " ".join(m.value for m in at.markdown)
    at = open_page("pages/whole_model.py", {"model": "llama-3-8b", "model_dropout": "0"})  # Llama ships none: nothing to say
    assert not at.exception and "dropout off" not in " ".join(m.value for m in at.markdown)


def test_whole_model_page_shows_gpt_3s_architecture_and_a_custom_gpt2_layout():
    at = open_page("pages/whole_model.py", {"model": "opt-175b", "r": "4", "save_dtype": "fp16"})
    assert not at.exception and not at.warning
    assert metric_values(at)[:2] == ["18,874,368", "174,604,468,224"]
    assert "37,748,736 B of fp16 weights" in " ".join(m.value for m in at.markdown)  # the LoRA paper's 35 MB
    at.selectbox(key="dtype").set_value("fp16").run()
    assert "(349.2 GB) — the base's size" in " ".join(m.value for m in at.markdown)  # the paper's 350 GB
    at = open_page("pages/whole_model.py", {"model": "custom", "arch": "gpt2", "hidden": "1024", "intermediate": "4096",
                                            "layers": "24", "heads": "16", "vocab": "50257", "positions": "1024"})
    assert not at.exception and not at.warning
    assert metric_values(at)[:2] == ["786,432", "354,823,168"]  # c_attn, PEFT's default for the GPT-2 layout


def test_whole_model_switching_model_keeps_the_targets_it_has_else_pefts_default():
    at = open_page("pages/whole_model.py", {"model": "llama-2-7b"})
    at.selectbox(key="model").set_value("bert-base").run()
    assert at.multiselect(key="targets").value == ["query", "value"] and not at.warning  # q_proj, v_proj: not BERT's
    assert link_query(at)["targets"] == "query,value"
    at = open_page("pages/whole_model.py", {"model": "llama-2-7b", "targets": "all-linear"})
    at.selectbox(key="model").set_value("mistral-7b").run()
    assert at.multiselect(key="targets").value == ["all-linear"]  # was reset to q_proj, v_proj
    at = open_page("pages/whole_model.py", {"model": "llama-2-7b", "targets": "q_proj,k_proj,o_proj"})
    at.selectbox(key="model").set_value("custom").run()
    assert at.multiselect(key="targets").value == ["q_proj", "k_proj", "o_proj"]


def test_whole_model_controls_tell_the_truth_about_the_method():
    at = open_page("pages/whole_model.py", {"model": "llama-3-8b", "method": "qlora"})
    shown = next(t for t in at.toggle if t.label == "Checkpointing")
    assert shown.value is True and shown.disabled  # QLoRA as PEFT prepares it checkpoints: the switch says so
    at = open_page("pages/whole_model.py", {"model": "llama-3-8b", "method": "full"})
    assert [m.label for m in at.metric] == ["Full fine-tuning trains"] and metric_values(at) == ["8,030,261,248"]
    drawn = {widget.key for kind in (at.multiselect, at.toggle, at.radio, at.number_input) for widget in kind}
    assert not drawn & {"targets", "prepared", "save_dtype", "adapters"}  # LoRA's controls, gone under full fine-tuning
    assert not any("trainable params" in m.value for m in at.markdown)


def test_whole_model_custom_sizes_round_trip():
    query = {"model": "custom", "hidden": "1024", "intermediate": "2816", "layers": "4", "heads": "16", "kv_heads": "4", "vocab": "1000", "targets": "all-linear", "r": "8"}
    at = open_page("pages/whole_model.py", query)
    assert not at.exception and not at.warning
    assert metric_values(at)[0] == "581,632"  # PEFT's count, from the golden file
    assert {key: link_query(at)[key] for key in query} == query


@pytest.mark.parametrize("spectrum", ["rank", "power", "noise"])
def test_low_rank_page_opens_from_links_and_draws_its_figures(spectrum):
    query = {"spectrum": spectrum, "spectrum_rank": "3", "decay": "1.5", "noise": "0.1", "steps": "100", "lr": "0.03", "trainer": "adam", "r": "2", "d": "16", "k": "12"}
    at = open_page("pages/low_rank.py", query)
    assert not at.exception and not at.warning
    assert len(charts(at)) == 4  # loss, spectrum, the variants at r (their stand-in while they train), the sweep
    assert {key: link_query(at)[key] for key in query} == query
    stand_in = charts(at)[2]
    assert "training at this rank" in stand_in["spec"] and "Training rsLoRA and PiSSA at r = 2" in at.info[0].body
    at.session_state["chart-variants"] = {"request": stand_in["request"]}  # as the chart sets it once the slider rests
    at.run()
    assert not at.info and not at.exception and len(charts(at)) == 4
    variants, sweep = chart_specs(at)[2:]
    assert [trace["name"] for trace in variants["data"]][:3] == ["LoRA, r = 2", "rsLoRA (α/√r), r = 2",
                                                                 "PiSSA (starts from W's top r), r = 2"]
    assert len(sweep["data"][1]["x"]) == 12  # every rank 1 … min(d, k)
    done = next(c.value for c in at.caption if c.value.startswith("Trained:"))
    assert "ranks 1–12" in done and "showing r = 2" in done and not at.get("progress")  # no bar once trained


def test_a_rank_move_on_the_low_rank_page_answers_before_rslora_and_pissa_train():
    """rsLoRA and PiSSA train at the shown rank (0.1–0.2 s): a rank move draws their chart's stand-in and starts them,
    and the run the stand-in asks for draws their curves; a rank already trained is drawn at once."""
    at = open_page("pages/low_rank.py", {"d": "16", "k": "12", "steps": "100", "r": "2"})
    at.session_state["chart-variants"] = {"request": charts(at)[2]["request"]}
    at.run()
    at.select_slider(key="r").set_value(3).run()
    stand_in = charts(at)[2]
    assert "r=3" in stand_in["request"] and "training at this rank" in stand_in["spec"]
    assert len(charts(at)) == 4 and any(m.value == "### Every rank" for m in at.markdown)  # the page goes on past it
    at.session_state["chart-variants"] = {"request": stand_in["request"]}
    at.run()
    assert [trace["name"] for trace in chart_specs(at)[2]["data"]][:2] == ["LoRA, r = 3", "rsLoRA (α/√r), r = 3"]
    at.select_slider(key="r").set_value(2).run()  # trained already: drawn in the move's own run
    assert [trace["name"] for trace in chart_specs(at)[2]["data"]][:1] == ["LoRA, r = 2"] and not at.info


def test_a_link_that_makes_training_diverge_shows_why_instead_of_crashing():
    """lr 0.09 with gradient descent made the SVD of an overflowed update raise for every student opening the link."""
    at = open_page("pages/low_rank.py", {"trainer": "gd", "lr": "0.09"})
    assert not at.exception
    assert any("Gradient descent diverged" in w.value and "Lower the learning rate" in w.value for w in at.warning)
    assert len(charts(at)) == 4 and at.query_params["lr"] == "0.09"  # the link keeps its settings; the page explains them


def test_the_training_introduction_says_where_the_loss_starts_for_noisy_labels():
    at = open_page("pages/low_rank.py", {"noise": "0.5", "steps": "20"})
    intro = next(m.value for m in at.markdown if m.value.startswith("# Why low rank works"))
    assert "share of ΔW* not learned" not in intro and ", not 1." in intro and "plus c" in intro


def test_the_merge_page_says_fp16_overflows_instead_of_nan():
    at = open_page("pages/merge.py", {"alpha": "65536", "r": "1", "trained": "1", "d": "64", "k": "64"})
    precision = next(table for table in tables(at) if "precision" in table)
    assert precision["merged vs exact"][1] == "overflows fp16 (max 65,504)"
    assert not any("nan" in cell for column in precision.values() for cell in column)
    assert any("values past 65,504 (its largest) become infinite" in m.value for m in at.markdown)


def test_low_rank_results_are_cached_so_unrelated_controls_do_not_retrain(monkeypatch):
    from lora_viz.training import view

    calls = []
    real = view.train_everything
    monkeypatch.setattr(view, "train_everything", lambda spec, progress=None: calls.append(spec) or real(spec, progress))
    at = open_page("pages/low_rank.py", {"steps": "50", "d": "12", "k": "12"})
    at.radio(key="notation").set_value("paper").run()
    at.selectbox(key="dtype").set_value("fp32").run()
    at.select_slider(key="r").set_value(4).run()  # every rank was trained already
    assert len(calls) == 1
    at.number_input(key="steps").set_value(60).run()
    assert len(calls) == 2


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_lesson_guess_then_reveal_then_next():
    at = open_page("pages/lesson.py", {"lesson": "2", "d": "4096", "k": "4096", "r": "8"})
    assert at.subheader[0].value == "Step 3 of 13: LoRA: what is trained"
    assert not [m for m in at.markdown if "Answer" in m.value]  # hidden before a guess
    at.text_input(key="_guess_input_2").input("65536")
    _button(at, "Check my guess").click().run()
    assert at.success[0].value == "Exactly right."
    assert any("**Answer: 65,536 parameters**" in m.value for m in at.markdown)
    _button(at, "Next →").click().run()
    assert at.subheader[0].value == "Step 4 of 13: LoRA: what share" and at.query_params["lesson"] == "3"
    at.text_input(key="_guess_input_3").input("4%")
    _button(at, "Check my guess").click().run()
    assert at.warning[0].value == "Off: 10.2 times too high."
    # A readable miss gets one more try before the answer shows.
    assert not [m for m in at.markdown if "Answer" in m.value]
    assert any("Try once more" in c.value for c in at.caption)
    at.text_input(key="_guess_input_3").input("0.5%")
    _button(at, "Check my guess").click().run()
    assert at.warning[0].value == "Off: 28% too high."
    assert any("**Answer: 0.3906%**" in m.value for m in at.markdown)


def test_a_lesson_step_draws_the_figure_it_talks_about():
    at = open_page("pages/lesson.py", {"lesson": "2"})
    assert [chart["alt"].startswith("W (4,096×4,096), A (4,096×8)") for chart in charts(at)] == [True]
    merge = open_page("pages/lesson.py", {"lesson": "5"})  # merging: the animation of a trained adapter
    assert [chart["alt"].startswith("Animation in 14 steps") for chart in charts(merge)] == [True]
    assert "placeholder" in str(at.text_input(key="_guess_input_2").proto) and not any(
        ch.isdigit() for ch in at.text_input(key="_guess_input_2").proto.placeholder)


def test_lesson_numbers_follow_the_settings():
    at = open_page("pages/lesson.py", {"lesson": "4", "d": "11008", "k": "4096", "r": "16"})
    for guess in ("1", "2"):  # two readable misses: then the answer shows
        at.text_input(key="_guess_input_4").input(guess)
        _button(at, "Check my guess").click().run()
    assert any(f"{11008 * 4096 + 16 * (11008 + 4096):,} parameters" in m.value for m in at.markdown)


def test_hidden_controls_link_shows_only_what_the_teacher_left():
    query = {"lesson": "1", "d_hide": "1", "k_hide": "1", "seed_hide": "1", "share_hide": "1", "lesson_hide": "1"}
    at = open_page("pages/lesson.py", query)
    assert not at.exception and not at.warning
    keys = {w.key for w in [*at.number_input, *at.select_slider, *at.toggle]}
    assert {"d", "k", "seed", "lesson"}.isdisjoint(keys) and {"r", "alpha", "trained"} <= keys
    assert not [e for e in at.expander if e.label == "Share this view"]
    assert at.query_params["d_hide"] == "1" and link_query(at)["d"] == "4096"  # hidden, still what the link means
    at.select_slider(key="r").set_value(16).run()
    assert at.query_params["d_hide"] == "1" and at.query_params["r"] == "16"  # the flags survive a move


def test_presentation_mode_enlarges_type():
    at = open_page("app.py", {"present": "1"})
    assert any("font-size: 3.4rem" in m.value for m in at.markdown)
    assert not any("font-size: 3.4rem" in m.value for m in open_page("app.py", {}).markdown)


def test_closed_sidebar_boxes_build_nothing():
    """Share and Export are built only when opened: a move costs them nothing, and no code block is sent, so the
    page does not load Streamlit's syntax highlighter for them."""
    at = open_page("pages/matrices.py", {})
    assert not at.get("download_button") and not at.sidebar.get("code")
    assert [e.label for e in at.sidebar.get("expander")] == ["Share this view", "Export"]


def test_export_box_offers_numbers_and_a_lora_config():
    at = open_page("pages/whole_model.py", {"model": "gpt2", "targets": "all-linear", "r": "16", "alpha": "32"})
    at.session_state["_export_open"] = True  # as a click on the box does
    at.run()
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Numbers as CSV", "Numbers as Markdown"]
    snippet = next(c.value for c in at.code if "LoraConfig" in c.value)
    assert 'target_modules="all-linear"' in snippet and "r=16" in snippet and "lora_alpha=32" in snippet


def test_figures_download_in_the_chosen_format():
    at = open_page("pages/matrices.py", {"image": "svg", "d": "64", "k": "64"})
    config = json.loads(charts(at)[0]["config"])
    assert config["toImageButtonOptions"]["format"] == "svg" and config["modeBarButtons"] == [["toImage"]]


def test_a_short_link_stays_short_when_the_app_writes_the_url_back():
    at = open_page("pages/lesson.py", {"lesson": "3", "r": "16"})
    assert dict(at.query_params) == {"v": str(LINK_VERSION), "lesson": "3", "r": "16"}  # defaults left out, the link version in


def test_a_student_link_hides_every_control_and_the_teachers_tools():
    at = open_page("pages/lesson.py", {"lesson": "2", "student": "1"})
    assert not at.exception and not at.warning
    assert not at.sidebar.children  # no controls, no headings over nothing, no share box or exports
    assert not [key for key in ("lesson",) if any(w.key == key for w in at.select_slider)]
    assert "Teachers" not in at.caption[0].value
    matrices = open_page("pages/matrices.py", {"lesson": "2", "student": "1"})
    back = [link for link in matrices.get("page_link") if "Back to the lesson, step 3" in link.proto.label]
    assert back and "lesson=2" in back[0].proto.query_string  # the way back to the step the student came from


def test_the_share_box_comes_first_names_controls_by_label_and_makes_a_short_student_link():
    at = open_page("pages/lesson.py", {"lesson": "2"})
    first = at.sidebar.children[0]
    assert first.type == "expander" and first.label == "Share this view"
    at.session_state["_share_open"] = True  # as a click on the box does
    at.run()
    options = at.multiselect(key="_share_hide").options
    assert "d — rows of W (output size)" in options and "d" not in options
    at.toggle(key="_share_student").set_value(True).run()
    link = [c.value for c in at.sidebar.get("code")][0]
    path_and_query = link.split("/", 3)[3]
    assert path_and_query == f"lesson?v={LINK_VERSION}&lesson=2&student=1" and len(link) < 80


def test_a_custom_model_shows_its_layouts_own_sizes_under_a_label_that_fits():
    """'Custom (Llama- or GPT-2-style' was cut off, and 'positions (gpt2 layout)' was offered for the Llama layout."""
    at = open_page("pages/whole_model.py", {"model": "custom", "arch": "llama"})
    sizes = {widget.key for widget in at.number_input}
    assert "kv_heads" in sizes and "positions" not in sizes
    at = open_page("pages/whole_model.py", {"model": "custom", "arch": "gpt2"})
    sizes = {widget.key for widget in at.number_input}
    assert "positions" in sizes and "kv_heads" not in sizes
    model = at.selectbox(key="model")
    assert model.format_func("custom") == "Custom sizes"

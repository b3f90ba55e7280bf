import re

import pytest

from lora_viz.matrix import alt as matrix_alt
from lora_viz.merge import alt as merge_alt
from lora_viz.model import alt as model_alt
from lora_viz.settings import Settings

# Each text alternative states the figure's own numbers; the expected words are worked out here by hand.
CASES = [
    (matrix_alt.magnifier_alt, Settings(trained=True), "W 12×12 of its 4,096×4,096 weights, A 12×8, B 8×12"),
    (matrix_alt.magnifier_alt, Settings(d=5, k=7, r=3), "W 5×7 of its 5×7 weights, A 5×3, B 3×7"),
    (matrix_alt.magnifier_alt, Settings(d=5, k=7, r=3, trained=False), "A is all zeros"),  # as initialised
    (matrix_alt.delta_alt, Settings(alpha=16, trained=True), "α/r = 2: a 4,096×4,096 matrix of rank at most 8"),
    (matrix_alt.delta_alt, Settings(trained=True), "exact means of 64×64 blocks"),  # 4,096 / 64 cells a side
    (matrix_alt.delta_alt, Settings(d=40, k=30, r=2, trained=True), "drawn as every weight"),
    (merge_alt.merge_animation_alt, Settings(r=3), "Animation in 9 steps"),  # start, 3 terms, α/r, 4 merge frames
    (merge_alt.merge_animation_alt, Settings(r=3), "built from 3 rank-1 terms"),
    (merge_alt.spectra_alt, Settings(r=3, trained=True), "ΔW: 3 non-zero"),
    (merge_alt.two_adapters_alt, Settings(d=5, k=7, r=2), "Three 5×7 heatmaps"),
    (model_alt.block_alt, Settings(model="llama-3-8b"), "k_proj 1,024×4,096"),  # 8 KV heads × 128
    (model_alt.block_alt, Settings(model="gpt2", targets=("c_attn",)), "c_attn 2,304×768 (LoRA)"),
]


@pytest.mark.parametrize("build, settings, words", CASES, ids=lambda case: getattr(case, "__name__", ""))
def test_every_alt_text_states_the_figures_numbers(build, settings, words):
    assert words in build(settings)


def test_the_memory_alt_text_orders_the_methods_as_the_figure_does():
    text = model_alt.memory_alt(Settings())
    gib = [float(n) for n in re.findall(r"([\d.]+) GiB", text)]
    assert len(gib) == 3 and gib[0] > gib[1] > gib[2]  # full fine-tuning > LoRA > QLoRA for Llama-2-7B


def test_alt_texts_follow_the_settings():
    assert "16 rank-1 terms" not in merge_alt.merge_animation_alt(Settings(r=16))  # the example stops at 8
    assert "8 rank-1 terms" in merge_alt.merge_animation_alt(Settings(r=16))
    assert "k_proj 1,024×4,096" in model_alt.block_alt(Settings(model="llama-3-8b"))
    assert "LoRA" in model_alt.memory_alt(Settings()) and "GiB" in model_alt.memory_alt(Settings())
    assert "8 non-zero" in merge_alt.spectra_alt(Settings(trained=True))


def test_every_chart_on_every_page_has_an_alt_text():
    from harness.pages import SCRIPTS, charts, open_page

    for script in SCRIPTS:
        at = open_page(script, {"trained": "1", "steps": "30", "d": "64", "k": "64"})
        drawn = charts(at)
        assert drawn or script in ("app.py", "pages/lesson.py"), script
        for chart in drawn:
            assert len(re.findall(r"\d", chart["alt"])) >= 2, (script, chart["alt"])

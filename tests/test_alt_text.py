import re

import pytest

from lora_viz import alt_text
from lora_viz.settings import Settings

BUILDERS = [alt_text.magnifier_alt, alt_text.delta_alt, alt_text.merge_animation_alt, alt_text.spectra_alt,
            alt_text.two_adapters_alt, alt_text.block_alt, alt_text.memory_alt]


@pytest.mark.parametrize("build", BUILDERS, ids=lambda b: b.__name__)
def test_every_alt_text_states_numbers(build):
    text = build(Settings(trained=True))
    assert len(re.findall(r"\d", text)) >= 3 and text.endswith(".")


def test_alt_texts_follow_the_settings():
    assert "16 rank-1 terms" not in alt_text.merge_animation_alt(Settings(r=16))  # the example stops at 8
    assert "8 rank-1 terms" in alt_text.merge_animation_alt(Settings(r=16))
    assert "k_proj 1,024×4,096" in alt_text.block_alt(Settings(model="llama-3-8b"))
    assert "LoRA" in alt_text.memory_alt(Settings()) and "GiB" in alt_text.memory_alt(Settings())
    assert "8 non-zero" in alt_text.spectra_alt(Settings(trained=True))


def test_every_chart_on_every_page_has_an_alt_text():
    from tests.support.pages import SCRIPTS, charts, open_page

    for script in SCRIPTS:
        at = open_page(script, {"trained": "1", "steps": "30", "d": "64", "k": "64"})
        drawn = charts(at)
        assert drawn or script in ("app.py", "pages/lesson.py"), script
        for chart in drawn:
            assert len(re.findall(r"\d", chart["alt"])) >= 2, (script, chart["alt"])

"""One rule for cache keys: every cached builder declares what it depends on, and the declaration is right.

For each builder: moving a setting outside its declaration keeps the key (a cache hit), moving one inside changes
it (a miss), and the builder given the whole settings returns what it returns given only the key — so it reads
nothing it did not declare.
"""

import importlib
import json
import pkgutil
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest

import lora_viz
from lora_viz import keys
from lora_viz.settings import SCHEMA, Settings, parse_settings, to_query
from lora_viz.ui import display
from harness.pages import open_page

# Every module of the package, imported: each declares its builders as it is imported, so BUILDERS holds them all.
MODULES = [importlib.import_module(m.name) for m in pkgutil.walk_packages(lora_viz.__path__, "lora_viz.")
           if not m.name.endswith("__main__")]  # __main__ runs the command line
PAGES = sorted(str(p) for p in Path("pages").glob("*.py")) + ["app.py"]

# Settings where every value differs from its default, small enough for every reduction to keep them as they are.
BUSY = Settings(d=12, k=10, r=3, alpha=4.0, dtype="fp16", notation="paper", seed=5, trained=True, step=2, model="gpt2",
                targets=("c_attn",), method="full", optimizer="sgd", batch=2, seq=64, ckpt=True, adapters=3, hidden=64,
                intermediate=128, layers=2, heads=4, kv_heads=2, vocab=100, spectrum="rank", spectrum_rank=2, decay=0.5,
                noise=0.1, steps=20, lr=0.01, trainer="gd", lesson=2, present=True, image="svg", hide=("d",), variant="dora")
# Another value for each setting, as valid as the first and inside every reduction: given here where the schema's
# own choice would not do, otherwise derived from the schema (so a new setting needs nothing here).
OTHER_GIVEN = dict(d=11, k=9, r=2, alpha=2.0, step=1, model="bert-base", targets=("c_proj",), batch=3, seq=65, adapters=4,
                   hidden=96, intermediate=160, layers=3, heads=8, kv_heads=4, vocab=101, spectrum_rank=1, decay=0.75,
                   noise=0.2, steps=21, lr=0.02, lesson=3, hide=("k",), experts=4, experts_per_token=1)


def _another(name: str):
    """A value of the setting other than BUSY's: the schema's next choice, the other truth value, or one more."""
    if name in OTHER_GIVEN:
        return OTHER_GIVEN[name]
    spec, value = SCHEMA[name], getattr(BUSY, name)
    if spec.kind == "choice":
        return next(choice for choice in spec.choices if choice != value)
    if spec.kind == "bool":
        return not value
    return value + 1 if spec.high is None or value + 1 <= spec.high else value - 1


OTHER = {f.name: _another(f.name) for f in fields(Settings)}


def _same(a, b) -> bool:
    """Results compared as the JSON a browser gets (figures), or as values."""
    if isinstance(a, dict):
        return json.dumps(a, default=lambda v: v.tolist() if isinstance(v, np.ndarray) else str(v)) == \
            json.dumps(b, default=lambda v: v.tolist() if isinstance(v, np.ndarray) else str(v))
    return a == b


def test_every_setting_has_another_value_to_try():
    assert set(OTHER) == {f.name for f in fields(Settings)}
    custom = replace(BUSY, model="custom", targets=("q_proj",))  # custom sizes are read only for a custom model
    assert parse_settings(to_query(custom))[0] == custom  # a valid view: nothing clamped or replaced


@pytest.mark.parametrize("script", PAGES)
def test_the_pages_cache_only_declared_builders(script, monkeypatch):
    """Everything a page caches goes through one rule: ui.figure and ui.cached take declared builders only."""
    used = []
    real = display.key_of
    monkeypatch.setattr(display, "key_of", lambda builder, s: used.append(builder) or real(builder, s))
    at = open_page(script, {"trained": "1"})  # the matrices page's ΔW too
    assert not at.exception
    assert used or script == "app.py", script  # every page but Home draws a figure
    assert all(builder in keys.BUILDERS for builder in used), [b.__name__ for b in used if b not in keys.BUILDERS]


@pytest.mark.parametrize("builder", keys.BUILDERS, ids=lambda b: f"{b.__module__}.{b.__name__}")
def test_a_setting_outside_the_declaration_hits_the_cache_and_one_inside_misses(builder):
    declared = builder.depends.keys
    for name, value in OTHER.items():
        moved = replace(BUSY, **{name: value})
        same_key = keys.key_of(builder, moved) == keys.key_of(builder, BUSY)
        assert same_key == (name not in declared), (name, declared)


@pytest.mark.parametrize("builder", keys.BUILDERS, ids=lambda b: f"{b.__module__}.{b.__name__}")
def test_a_builder_reads_nothing_it_did_not_declare(builder):
    reduce = builder.depends.reduce or (lambda s: s)
    whole = builder.__wrapped__(reduce(BUSY))
    assert _same(whole, builder.__wrapped__(keys.key_of(builder, BUSY)))


def test_the_merge_example_ignores_the_step_and_other_pages_settings():
    """merge.example_settings kept all 34 settings: moving the step control missed the spectra's cache."""
    from lora_viz.merge.figures import spectra_figure

    assert keys.key_of(spectra_figure, replace(BUSY, step=0, batch=64, lesson=5)) == keys.key_of(spectra_figure, BUSY)
    assert keys.key_of(spectra_figure, replace(BUSY, r=40)) == keys.key_of(spectra_figure, replace(BUSY, r=8))  # min(r, 8)


def test_declaring_a_name_that_is_not_a_setting_fails_at_once():
    with pytest.raises(ValueError, match="not settings"):
        keys.depends_on("rank")

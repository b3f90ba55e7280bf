"""The rank slider's preview: for every rank the slider reaches, what the browser looks up equals what the server
writes for that rank (lora_viz/preview.py; the browser's side is in tests/test_browser.py)."""

from __future__ import annotations

import json
import zlib
from dataclasses import replace

import pytest

from lora_viz.matrix.figures import drawing_figure
from lora_viz.matrix.text import seed_numbers
from lora_viz.model.budget import model_counts
from lora_viz.model.text import trainable_formula
from lora_viz.numbers.ranks import rank_options
from lora_viz.preview import PREVIEWED, preview_ranks, preview_settings, rank_preview
from lora_viz.render.sketch import Tables, sketch
from lora_viz.settings import model_spec, parse_settings
from lora_viz.ui import rank_preview as element

VIEWS = [{}, {"d": "768", "k": "3072", "trained": "0", "seed": "3"}, {"d": "16", "k": "16", "r": "9"}, {"d": "5", "k": "7", "notation": "paper"},
         {"d": "65536", "k": "65536", "r": "100"}, {"variant": "dora", "d": "1024", "k": "768"}, {"variant": "rslora", "alpha": "16"}]


def _texts(preview, position: int) -> list[str]:
    return [slot.texts[position] for slot in preview.slots]


@pytest.mark.parametrize("query", VIEWS)
def test_every_positions_numbers_are_the_servers_texts(query):
    s, _ = parse_settings(query)
    for page in ("", "matrices"):
        preview = rank_preview(page, s, preview_ranks(s))
        for position, r in enumerate(preview.ranks):
            items = seed_numbers(replace(s, r=r))
            assert [slot.texts[position] for slot in preview.slots] == [
                f"{items[slot.index].value:,}" if slot.part == "value" else items[slot.index].formula for slot in preview.slots]
        # Only the texts that change with the rank: LoRA's count and formula and the separate serving count, not full
        # fine-tuning's count nor the merged model's
        assert [(slot.index, slot.part) for slot in preview.slots] == ([(1, "value"), (1, "formula"), (2, "value")]
                                                                       if len(preview.ranks) > 1 else [])


def test_the_whole_model_pages_trainable_count_follows_the_thumb_and_its_memory_is_dimmed():
    s, _ = parse_settings({"model": "mixtral-8x7b", "targets": "all-linear"})
    preview = rank_preview("whole_model", s, preview_ranks(s))
    spec = model_spec(s)
    for position, r in enumerate(preview.ranks):
        counts = model_counts(spec, r, s.targets)
        assert _texts(preview, position) == [f"{counts.trainable:,}", trainable_formula(spec, counts, r)]
    assert [(slot.kind, slot.index) for slot in preview.slots] == [("metric", 0), ("metric", 0)]
    assert preview.dimmed == ("block", "memory")
    assert rank_preview("whole_model", replace(s, method="full"), preview_ranks(s)) is None  # full fine-tuning has no rank


@pytest.mark.parametrize("page", PREVIEWED)
def test_the_preview_is_built_from_the_settings_it_declares_so_other_moves_read_it_from_the_cache(page):
    """A move of alpha, the dtype or the precision (none of which a preview shows) keeps its cache key, and the preview
    built from that key is the preview of the full settings."""
    s, _ = parse_settings({"model": "llama-3-8b", "variant": "dora", "seed": "2", "notation": "paper", "trained": "0"})
    moved, _ = parse_settings({"model": "llama-3-8b", "variant": "dora", "seed": "2", "notation": "paper", "trained": "0",
                               "alpha": "32", "dtype": "fp16", "precision": "pure", "batch": "4"})
    assert preview_settings(page, s) == preview_settings(page, moved)
    ranks = preview_ranks(s)
    assert rank_preview(page, preview_settings(page, s), ranks) == rank_preview(page, s, ranks)


def test_the_preview_does_not_depend_on_the_current_rank_so_a_move_reads_it_from_the_cache():
    s, _ = parse_settings({})
    ranks = preview_ranks(s)
    assert rank_preview("matrices", s, ranks) == rank_preview("matrices", replace(s, r=64), ranks)
    assert preview_ranks(replace(s, r=9)) == ranks and 9 in ranks  # a rank off the grid joins it only where it is off
    assert 100 in preview_ranks(replace(s, r=100)) and 100 not in ranks


def _resolved(tables, value):
    """A sketch with every table index replaced by what it names (grids: edges, levels, colour scale)."""
    height, margin, subplots, grids, rects, lines, notes = value
    grids = [[subplot, tables[x], tables[y], tables[levels], opacity, tables[scale]] for subplot, x, y, levels, opacity, scale in grids]
    return [height, margin, subplots, grids, rects, lines, notes]


@pytest.mark.parametrize("query", VIEWS + [{"present": "1"}, {"d": "4096", "k": "1024", "trained": "0"}])
def test_every_positions_drawing_is_the_servers_figure_for_that_rank(query):
    """The drawing the browser draws while the thumb is at a rank is the figure the server draws for that rank."""
    s, _ = parse_settings(query)
    preview = rank_preview("matrices", s, preview_ranks(s))
    assert list(preview.sketches) == ["drawing"]
    for position, r in enumerate(preview.ranks):
        tables = Tables()
        expected = sketch(drawing_figure(replace(s, r=r)), tables)
        assert _resolved(preview.tables, preview.sketches["drawing"][position]) == _resolved(tables.items, expected)


def test_the_drawing_changes_with_the_rank_and_W_is_sent_once():
    s, _ = parse_settings({})
    preview = rank_preview("matrices", s, preview_ranks(s))
    sketches = preview.sketches["drawing"]
    up_boxes = [frame[4][1][1:5] for frame in sketches]  # the second outline is up's: x0, x1, y0, y1
    assert [round(x1 - x0, 3) for x0, x1, _, _ in up_boxes] == [float(r) for r in preview.ranks]  # up is r cells wide
    assert len({frame[3][0][3] for frame in sketches}) == 1  # W's cells: one table entry for every rank


def test_the_preview_is_bounded_and_sent_deflated():
    """What the browser is sent is the preview's JSON, deflated: a quarter of it or less with sketches. Streamlit keeps
    messages over 10 KB in its message cache, so a large preview is sent to a browser once for its settings, and a
    smaller one costs at most 10 KB a move."""
    for query in VIEWS:
        s, _ = parse_settings(query)
        read, ranks = preview_settings("matrices", s), preview_ranks(s)
        sent = element._bytes("matrices", read, ranks)
        assert json.loads(zlib.decompress(sent)) == json.loads(rank_preview("matrices", read, ranks).as_json())
        assert len(sent) < 64_000
        assert len(sent) * 4 < len(rank_preview("matrices", read, ranks).as_json()) or len(ranks) < 12
        assert len(element._bytes("", preview_settings("", s), ranks)) < 12_000


def test_charts_that_cannot_follow_the_thumb_are_named_to_be_dimmed():
    s, _ = parse_settings({})
    ranks = preview_ranks(s)
    assert rank_preview("matrices", s, ranks).dimmed == ("delta", "scaling")  # the drawing is sketched instead
    assert rank_preview("", s, ranks).dimmed == ()


def test_pages_without_a_rank_preview_get_none():
    s, _ = parse_settings({})
    assert {page for page in ("", "lesson", "matrices", "merge", "whole_model", "low_rank") if rank_preview(page, s, preview_ranks(s))} == set(PREVIEWED)


def test_a_preview_that_cannot_be_built_leaves_the_page_as_drawn(monkeypatch):
    """The preview aids the slider: if building it fails, the page shows everything else and no error box."""
    from harness.pages import metric_values, open_page

    def broken(*args):
        raise ValueError("a sketch draws heatmaps and lines")

    monkeypatch.setattr(element, "_bytes", broken)
    element.RESULTS.clear()
    at = open_page("pages/matrices.py", {"r": "16"})
    assert not at.exception and not at.error
    assert metric_values(at)[1] == f"{16 * 8192:,}"
    assert not [e for e in at.get("bidi_component") if e.proto.component_name == "lora_viz_rank_preview"]

"""A figure's sketch (lora_viz/render/sketch.py) holds every mark of the figure, at its place, in its colour level:
what the rank slider's preview draws on a canvas is the figure plotly.js draws."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from lora_viz.matrix.figures import drawing_figure
from lora_viz.render.plotly import COLORSCALE, equal_scale_layout, heatmap, plot
from lora_viz.render.sketch import LEVELS, PAPER, Tables, colour_levels, sketch, unpacked
from lora_viz.settings import parse_settings

VIEWS = [{}, {"d": "16", "k": "16", "r": "9"}, {"r": "4096"}, {"present": "1"}, {"d": "768", "k": "3072", "trained": "0", "notation": "paper"}]


def _figure(query: dict) -> dict:
    s, _ = parse_settings(query)
    return drawing_figure(s)


@pytest.mark.parametrize("query", VIEWS)
def test_every_heatmap_is_a_grid_of_its_cells_colour_levels(query):
    figure = _figure(query)
    tables = Tables()
    grids = sketch(figure, tables)[3]
    heatmaps = [trace for trace in figure["data"] if trace["type"] == "heatmap"]
    assert len(grids) == len(heatmaps)
    for grid, trace in zip(grids, heatmaps):
        axis = figure["layout"][trace["coloraxis"]]
        z = unpacked(trace["z"])
        levels = np.frombuffer(base64.b64decode(tables.items[grid[3]]), dtype=np.uint8).reshape(z.shape)
        # A level stands for the cell's value within half a level of the colour range.
        value = axis["cmin"] + levels / (LEVELS - 1) * (axis["cmax"] - axis["cmin"])
        assert np.all(np.abs(value - np.clip(z, axis["cmin"], axis["cmax"])) <= (axis["cmax"] - axis["cmin"]) / (LEVELS - 1) / 2 + 1e-6)
        assert tables.items[grid[1]] == pytest.approx(list(unpacked(trace["x"])), abs=1e-4)
        assert tables.items[grid[2]] == pytest.approx(list(unpacked(trace["y"])), abs=1e-4)
        assert tables.items[grid[5]] == COLORSCALE


@pytest.mark.parametrize("query", VIEWS)
def test_every_outline_line_and_note_is_in_the_sketch_at_its_place(query):
    figure = _figure(query)
    layout = figure["layout"]
    height, margin, subplots, _, rects, lines, notes = sketch(figure, Tables())
    assert height == layout["height"] and margin == [layout["margin"][side] for side in "lrtb"]
    assert len(subplots) == (2 if "xaxis2" in layout else 1)
    assert [rect[1:5] for rect in rects] == [pytest.approx([shape[end] for end in ("x0", "x1", "y0", "y1")], abs=1e-4)
                                             for shape in layout["shapes"]]
    assert [rect[5] for rect in rects] == [shape["line"]["color"] for shape in layout["shapes"]]
    assert [note[3] for note in notes] == [note["text"] for note in layout["annotations"]]
    assert all(note[0] == PAPER for note, original in zip(notes, layout["annotations"]) if original["xref"] == "paper")
    scatter = [trace for trace in figure["data"] if trace["type"] == "scatter"]
    assert [len(line[3]) for line in lines] == [len(trace["x"]) for trace in scatter]


def test_colour_levels_run_from_the_scales_bottom_to_its_top_and_clip_beyond():
    assert colour_levels(np.array([-2.0, -1.0, 0.0, 1.0, 2.0]), -1.0, 1.0).tolist() == [0, 0, 128, 255, 255]


def test_what_a_canvas_cannot_draw_is_refused_rather_than_left_out():
    layout = equal_scale_layout((0, 2), (0, 2), 200, 1.0)
    cells = heatmap(np.zeros((2, 2)), np.arange(3), np.arange(3), "W", "value")
    assert sketch(plot([cells], layout), Tables())  # the plain case draws
    with pytest.raises(ValueError):
        sketch(plot([{"type": "bar", "x": [1], "y": [1]}], layout), Tables())  # not a heatmap or a line: ignored would lie
    with pytest.raises(ValueError):
        sketch(plot([dict(cells, zsmooth="best")], layout), Tables())
    with pytest.raises(ValueError):
        sketch(plot([cells], {**layout, "shapes": [{"type": "circle", "x0": 0, "x1": 1, "y0": 0, "y1": 1, "line": {"color": "red", "width": 1}}]}), Tables())
    with pytest.raises(ValueError):
        sketch(plot([cells], {**layout, "annotations": [{"x": 0, "y": 0, "xref": "x", "yref": "y", "text": "a", "showarrow": True}]}), Tables())
    with pytest.raises(ValueError):  # uneven cells inside a grid: the browser draws runs of equal cells
        sketch(plot([heatmap(np.zeros((1, 3)), np.array([0, 1, 3, 4]), np.arange(2), "W", "value")], layout), Tables())
    with pytest.raises(ValueError):  # rows growing upwards
        sketch(plot([cells], {**layout, "yaxis": {**layout["yaxis"], "range": [0, 2]}}), Tables())


def test_a_table_holds_each_distinct_array_once():
    tables = Tables()
    assert [tables.add([1.0, 2.0]), tables.add("AAE="), tables.add([1.0, 2.0])] == [0, 1, 0]
    assert tables.items == [[1.0, 2.0], "AAE="]

import base64
import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from lora_viz.matrix import figures as core_figures
from lora_viz.matrix.layout import scale_layout
from lora_viz.render.plotly import packed, typed_array
from lora_viz.settings import Settings

TYPES = {"i4": "<i4", "f4": "<f4", "f8": "<f8"}


def decode(trace_array) -> np.ndarray:
    """A trace's array, whether a plain list or a plotly.js typed array."""
    if isinstance(trace_array, dict):
        values = np.frombuffer(base64.b64decode(trace_array["bdata"]), dtype=TYPES[trace_array["dtype"]])
        if "shape" in trace_array:
            values = values.reshape([int(n) for n in trace_array["shape"].split(",")])
        return values.astype(float)
    return np.asarray(trace_array, dtype=float)


# The core builds figures as plain data; the tests read them through Plotly's validated objects.
def scale_figure(s: Settings) -> go.Figure:
    return go.Figure(core_figures.scale_figure(s))


def magnifier_figure(s: Settings) -> go.Figure:
    return go.Figure(core_figures.magnifier_figure(s))


def delta_figure(s: Settings) -> go.Figure:
    return go.Figure(core_figures.delta_figure(s))


def extent(trace) -> tuple[float, float]:
    x, y = decode(trace.x), decode(trace.y)
    return x[-1] - x[0], y[-1] - y[0]


@pytest.mark.parametrize("d, k, r", [(4096, 4096, 8), (64, 32, 8), (11008, 4096, 16), (131_072, 131_072, 131_072), (7, 131_072, 3)])
def test_same_cells_per_unit_in_every_matrix(d, k, r):
    fig = scale_figure(Settings(d=d, k=k, r=r))
    w, up, down, flow = fig.data  # the three matrices, then the arrows of x's path through them
    assert flow.hoverinfo == "skip" and flow.marker.symbol == "arrow"
    assert extent(w) == pytest.approx((k, d), rel=1e-12)  # W spans k columns and d rows
    assert extent(up) == pytest.approx((r, d), rel=1e-12)
    assert extent(down) == pytest.approx((k, r), rel=1e-12)
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis.scaleratio == 1


@pytest.mark.parametrize("d, k, r", [(4096, 4096, 8), (131_072, 131_072, 131_072)])
def test_figures_stay_small(d, k, r):
    s = Settings(d=d, k=k, r=r, trained=True)
    for build in (core_figures.scale_figure, core_figures.magnifier_figure, core_figures.delta_figure):
        size = len(pio.to_json(build(s)))
        assert size < 300_000, (build.__name__, size)


def test_every_weight_drawn_when_small_and_no_magnifier_needed():
    g = scale_layout(64, 64, 8)
    assert g.block == 1 and not g.needs_magnifier
    fig = scale_figure(Settings(d=64, k=64, r=8))
    assert decode(fig.data[0].z).shape == (64, 64)


def test_thin_strips_get_a_magnifier():
    g = scale_layout(4096, 4096, 8)
    assert g.needs_magnifier and g.thinnest_px < 1
    fig = magnifier_figure(Settings())
    w, up, down = fig.data
    assert decode(w.z).shape == (12, 12) and decode(up.z).shape == (12, 8) and decode(down.z).shape == (8, 12)
    assert fig.layout.yaxis.scaleanchor == "x"


def test_delta_is_zero_at_start_and_scaled_by_alpha_over_r_when_trained():
    assert not decode(delta_figure(Settings(d=64, k=64, r=4, trained=False)).data[0].z).any()
    a = decode(delta_figure(Settings(d=64, k=64, r=4, alpha=4, trained=True)).data[0].z)
    b = decode(delta_figure(Settings(d=64, k=64, r=4, alpha=8, trained=True)).data[0].z)
    np.testing.assert_allclose(b, 2 * a, rtol=1e-5)


def test_the_drawing_stacks_its_magnified_corner_only_when_a_strip_is_too_thin():
    assert core_figures.drawing_figure(Settings(d=64, k=64, r=8)) == core_figures.scale_figure(Settings(d=64, k=64, r=8))
    s = Settings(d=4096, k=4096, r=8)
    fig = go.Figure(core_figures.drawing_figure(s))  # valid for Plotly
    scale, corner = core_figures.scale_figure(s), core_figures.magnifier_figure(s)
    assert len(fig.data) == len(scale["data"]) + len(corner["data"])
    assert {(t.xaxis, t.yaxis) for t in fig.data[len(scale["data"]):]} == {("x2", "y2")}
    # Each panel keeps one scale (the same pixels per row and per column) and the two do not overlap.
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis2.scaleanchor == "x2"
    assert fig.layout.yaxis2.domain[1] < fig.layout.yaxis.domain[0]
    assert fig.layout.height == scale["layout"]["height"] + corner["layout"]["height"]
    assert any("Magnified corner" in note.text for note in fig.layout.annotations)


def test_delta_stand_in_takes_the_place_and_height_of_delta():
    s = Settings(d=131_072, k=4096, r=131_072, trained=True)
    pending = go.Figure(core_figures.pending_delta_figure(s))  # valid for Plotly
    assert pending.layout.height == core_figures.delta_figure(Settings(d=4096, k=128, r=8)).get("layout")["height"] == 420
    assert "computing" in pending.layout.annotations[0].text


def test_notation_switches_labels():
    card = scale_figure(Settings(notation="card"))
    paper = scale_figure(Settings(notation="paper"))
    assert [t.name for t in card.data[:3]] == ["W", "A", "B"]
    assert [t.name for t in paper.data[:3]] == ["W", "B", "A"]


def test_delta_grid_coarsens_for_huge_ranks_and_says_so():
    fig = delta_figure(Settings(d=131_072, k=131_072, r=131_072, trained=True))
    rows, cols = decode(fig.data[0].z).shape
    assert max(rows, cols) * 131_072 <= 2_000_000 and rows >= 8  # corner lookups stay within budget
    assert "exact means of" in fig.layout.title.text


def _every_figure(s: Settings):
    from lora_viz.merge import figures as merge_figures
    from lora_viz.model import figures as model_figures
    from lora_viz.training import figures as training_figures
    from lora_viz.training.view import training_spec
    from lora_viz.training.train import at_rank, train_everything

    result = at_rank(train_everything(training_spec(Settings(d=8, k=8, steps=20))), s.r)
    yield from (core_figures.scale_figure(s), core_figures.magnifier_figure(s), core_figures.delta_figure(s))
    yield from (merge_figures.merge_animation(s), merge_figures.spectra_figure(s), merge_figures.two_adapters_figure(s))
    yield from (model_figures.block_figure(s), model_figures.memory_figure(s))
    yield from (training_figures.loss_chart(result), training_figures.spectrum_chart(result), training_figures.sweep_chart(result))
    from dataclasses import replace

    from lora_viz.lesson.figures import answered_step_figure, step_figure

    for index in range(10):  # every step of the lesson, its answer hidden and shown
        yield from (step_figure(replace(s, lesson=index)), answered_step_figure(replace(s, lesson=index)))
    yield from (core_figures.role_drawing(s, "full"), core_figures.role_drawing(s, "lit"))


@pytest.mark.parametrize("s", [Settings(trained=True), Settings(d=7, k=131_072, r=3, notation="paper", model="gpt2", step=5)])
def test_every_figure_passes_plotlys_full_validation(s):
    """Figures are built without Plotly's per-property checks (for speed); here every one gets them."""
    for fig in _every_figure(s):
        go.Figure(fig)  # raises ValueError on any invalid property


def test_figures_are_plain_json_ready_data():
    for fig in _every_figure(Settings(trained=True)):
        assert set(fig) == {"data", "layout", "frames"}
        assert "template" not in fig["layout"]  # static/chart.js adds the app's theme, light or dark
        # No NumPy left (every array packed), and no NaN, which JSON.parse in the browser would reject.
        assert json.loads(json.dumps(fig, allow_nan=False)) == fig


@pytest.mark.parametrize("values", [
    np.arange(6, dtype=np.float32).reshape(2, 3), np.linspace(-1, 1, 7), np.arange(-3, 4), np.array([True, False]), np.array([2**40, 3]),
])
def test_typed_arrays_round_trip_exactly(values):
    assert np.array_equal(decode(typed_array(values)), values.astype(float))
    assert decode(typed_array(values)).shape == values.shape


def test_packed_converts_a_traces_arrays_and_leaves_the_rest():
    trace = packed({"z": np.ones((1, 2)), "x": np.zeros(2), "name": "W", "y": [1, 2]})
    assert decode(trace["z"]).tolist() == [[1, 1]] and decode(trace["x"]).tolist() == [0, 0]
    assert trace["name"] == "W" and trace["y"] == [1, 2]


def test_the_rank_sweep_keeps_its_loss_lines_visible_and_names_every_line():
    """Traces of a second y axis are drawn over the first's: the parameters there are a line (bars hid the losses);
    full fine-tuning is a trace with a legend entry, not a bare dashed line; the spectrum names the factors."""
    from lora_viz.training import figures as training_figures
    from lora_viz.training.view import training_spec
    from lora_viz.training.train import at_rank, train_everything

    result = at_rank(train_everything(training_spec(Settings(d=8, k=8, steps=20))), 2)
    sweep = training_figures.sweep_chart(result)
    assert all(trace["type"] == "scatter" for trace in sweep["data"])
    assert "full fine-tuning" in [trace["name"] for trace in sweep["data"]] and not sweep["layout"].get("shapes")
    names = [trace["name"] for trace in training_figures.spectrum_chart(result, "B·A")["data"]]
    assert any("(α/r)·B·A" in name for name in names) and not any("up·down" in name for name in names)

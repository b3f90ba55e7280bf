"""The chart frame is served from the checkout as it is: a pinned plotly.js, nothing copied at run time."""

import tempfile

import plotly.offline

from lora_viz.ui import frame


def test_the_pinned_plotly_js_is_the_version_the_plotly_package_builds_figures_for():
    header = frame.PLOTLY_JS.read_text(encoding="utf-8")[:200]
    assert f"plotly.js v{plotly.offline.get_plotlyjs_version()}\n" in header
    assert (frame.FOLDER / "PLOTLY_LICENSE.txt").read_text().startswith(f"plotly.min.js in this folder is plotly.js v{plotly.offline.get_plotlyjs_version()}")


def test_declaring_the_chart_frame_touches_no_temporary_folder(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the chart frame wrote to the temporary folder")

    for name in ("mkdtemp", "mkstemp", "gettempdir", "NamedTemporaryFile", "TemporaryDirectory"):
        monkeypatch.setattr(tempfile, name, refuse)
    frame._component.cache_clear()
    try:
        frame._component()
    finally:
        frame._component.cache_clear()
    assert {path.name for path in frame.FOLDER.iterdir()} >= {"index.html", "frame.js", "plotly.min.js"}

"""Charts are drawn by the pinned plotly.js in static/, served from the checkout as it is: nothing copied at run time,
one plotly.js per browser tab, and a small script that travels with each chart."""

import json
import tempfile
import tomllib
from pathlib import Path

import plotly.offline

from lora_viz.ui import chart_component as frame

ROOT = Path(__file__).resolve().parents[1]


def test_the_pinned_plotly_js_is_the_version_the_plotly_package_builds_figures_for():
    """Built by tools/plotly_bundle from plotly.js of that version: its core (scatter, layout, the mode bar) with the
    heatmap and bar traces. A browser test draws every kind of figure the app makes with it."""
    header = frame.PLOTLY_JS.read_text(encoding="utf-8")[:300]
    assert header.startswith(f"/** plotly.js v{plotly.offline.get_plotlyjs_version()} (core with the heatmap and bar traces)")
    package = json.loads((ROOT / "tools" / "plotly_bundle" / "package.json").read_text())
    assert package["devDependencies"]["plotly.js"] == plotly.offline.get_plotlyjs_version()
    assert frame.PLOTLY_JS.stat().st_size < 1_500_000  # the full bundle is 4.8 MB
    assert (frame.STATIC / "PLOTLY_LICENSE.txt").read_text().startswith(f"plotly.min.js in this folder is plotly.js v{plotly.offline.get_plotlyjs_version()}")


def test_static_files_are_served_and_the_script_sent_with_every_chart_is_small():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["enableStaticServing"] is True
    assert frame.STATIC == ROOT / "static" and frame.CHART_JS.exists()  # Streamlit serves ./static beside app.py
    assert len(frame.LOADER.read_bytes()) < 2048  # inline JavaScript travels inside every chart's element message


def test_the_licence_files_the_package_names_exist():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert all((ROOT / name).exists() for name in project["license-files"]), project["license-files"]


def test_declaring_the_chart_component_touches_no_temporary_folder(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the chart component wrote to the temporary folder")

    for name in ("mkdtemp", "mkstemp", "gettempdir", "NamedTemporaryFile", "TemporaryDirectory"):
        monkeypatch.setattr(tempfile, name, refuse)
    frame._component.cache_clear()
    try:
        frame._component()
    finally:
        frame._component.cache_clear()

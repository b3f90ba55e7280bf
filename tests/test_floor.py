"""The benchmarks' floor pages are generated from the schema: each has exactly the controls its app page shows."""

import ast

import pytest
from streamlit.testing.v1 import AppTest

from benchmarks.bare import bare_app
from benchmarks.floor import floor_script
from lora_viz.navigation import PAGES
from lora_viz.settings import SCHEMA
from harness.pages import open_page


def _floor_keys(script: str) -> set[str]:
    """The keys of the widgets a floor script draws, read from its source."""
    return {kw.value.value for node in ast.walk(ast.parse(script)) if isinstance(node, ast.Call)
            for kw in node.keywords if kw.arg == "key" and isinstance(kw.value, ast.Constant)}


@pytest.mark.parametrize("script", [page.script for page in PAGES])
def test_a_floor_page_has_the_controls_of_its_page(script):
    app = open_page(script, {})
    assert not app.exception
    drawn = set()
    for kind in ("number_input", "select_slider", "slider", "selectbox", "radio", "toggle", "multiselect"):
        drawn |= {widget.key for widget in getattr(app, kind) if widget.key in SCHEMA}
    drawn.discard("image")  # in the sidebar's closed Export box: not a control the floor's page has
    assert _floor_keys(floor_script(script)) == drawn


@pytest.mark.parametrize("linked", [False, True])
@pytest.mark.parametrize("script", [page.script for page in PAGES])
def test_every_floor_page_runs_to_its_end(script, linked):
    """A floor that stops at an error costs less than the page it stands for (the merge and lesson floors once did:
    select_slider takes no index). Run as the benchmarks serve it: the floors as an app's pages, so links resolve."""
    at = AppTest.from_file(str(bare_app(linked) / "app.py"), default_timeout=30).run()
    if script != "app.py":
        at.switch_page(script).run()
    assert not at.exception
    assert {widget.key for kind in ("number_input", "select_slider", "slider", "selectbox", "radio", "toggle", "multiselect")
            for widget in getattr(at, kind)} >= _floor_keys(floor_script(script, linked=linked))


def test_a_floor_page_runs():
    at = AppTest.from_string(floor_script("pages/whole_model.py"), default_timeout=30).run()
    assert not at.exception
    assert at.radio(key="zero").value == 2 and at.selectbox(key="card").value == "a100-80"

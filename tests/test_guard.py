"""A page that fails shows a plain error box with a way home; the traceback goes to the log, never to the visitor."""

import logging
import tomllib
from pathlib import Path

import pytest
import streamlit as st

from lora_viz.matrix import text as matrix_text
from lora_viz.ui import guard, state
from harness.pages import open_page

pytestmark = pytest.mark.error_box
ROOT = Path(__file__).resolve().parents[1]


def _boom(*args, **kwargs):
    raise ZeroDivisionError("a bug in the core")


def test_a_failing_page_shows_the_error_box_and_a_way_home_and_logs_the_traceback(monkeypatch, caplog):
    monkeypatch.setattr(matrix_text, "count_lines", _boom)
    with caplog.at_level(logging.ERROR, logger="lora_viz"):
        at = open_page("app.py", {"d": "64"})
    assert not at.exception
    assert [e.value for e in at.error] == [guard.FAILURE_TEXT]
    assert any(link.proto.page == "" and "home page" in link.proto.label for link in at.get("page_link"))
    assert any("ZeroDivisionError: a bug in the core" in record.exc_text for record in caplog.records if record.exc_text)


def test_a_failure_while_reading_the_settings_also_ends_in_the_error_box(monkeypatch):
    monkeypatch.setattr(state, "parse_settings", _boom)
    at = open_page("pages/matrices.py", {})
    assert not at.exception and [e.value for e in at.error] == [guard.FAILURE_TEXT]
    assert not at.get("bidi_component")  # the page stopped there


def test_streamlits_own_stop_passes_through_untouched(monkeypatch):
    monkeypatch.setattr(matrix_text, "count_lines", lambda settings: st.stop())
    at = open_page("app.py", {})
    assert not at.exception and not at.error
    assert at.metric  # what was drawn before the stop stays


def test_visitors_are_never_shown_tracebacks():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"

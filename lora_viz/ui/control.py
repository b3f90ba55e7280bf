"""One control for one setting: its label, help, range and choices come from the settings' schema."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ..settings import HIDEABLE, Settings, schema
from .incoming import as_query_value, reconnected_query

# What a reconnected tab's controls sent that differs from its link, by key: as the URL writes it, or None for a
# value no control could have sent (see state.py).
MOVED = "_lora_viz_moved"
_MISSING = object()  # a control not yet in the session state


def shown(s: Settings, key: str) -> bool:
    """False for a control or panel the link hides (<key>_hide=1), and for all of them in the student view."""
    if s.student and (key in HIDEABLE or key == "present"):
        return False
    return key not in s.hide


def control(s: Settings, container: Any, key: str, **options: Any) -> None:
    """Draw the setting `key` in `container` as the schema's widget, unless the link hides it or the schema shows it
    only alongside other settings' values (`when`).

    The widget's key is the setting's URL key; its label and help come from the schema, and so do a number's
    range and step, and a choice's options and their names, unless `options` gives them (a page may offer fewer, or show them its own way).
    The control is given the setting's value first, so that a link and clamping win over what it held before.
    In a session's first run, a value the tab sent for it (its server restarted) is kept for the next run.
    """
    spec = schema(key)
    if not shown(s, key) or not spec.applies(s):
        return
    value = getattr(s, key)
    # .get, not `in`: Streamlit's session state has no __contains__, so `in` built a copy of the whole state each time.
    held = st.session_state.get(key, _MISSING)
    if held is _MISSING or as_query_value(held) != as_query_value(value):
        # Only when it differs: a value written here is sent to the browser's control, which moves to it, so writing
        # a stale run's value (overtaken by newer key presses) moved the thumb back.
        st.session_state[key] = list(value) if isinstance(value, tuple) else value
    widget = spec.widget
    args: dict[str, Any] = {"label": spec.label, "key": key}
    if spec.help:
        args["help"] = spec.help
    if spec.kind in ("int", "float") and widget in ("number_input", "slider"):
        cast = int if spec.kind == "int" else float
        args |= {"min_value": cast(spec.low), "max_value": cast(spec.high)}
        if spec.step is not None:
            args["step"] = cast(spec.step)
        if spec.format:
            args["format"] = spec.format
    if spec.kind == "choice":
        args["options"] = spec.choices
        if spec.names:
            args["format_func"] = spec.name
    if spec.horizontal:
        args["horizontal"] = True
    getattr(container, widget)(**(args | options))
    sent, value = reconnected_query(key)
    if sent and value != as_query_value(st.session_state[key]):
        st.session_state.setdefault(MOVED, {})[key] = value

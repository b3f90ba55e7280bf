"""Widget values from the browser, checked before Streamlit reads them.

Streamlit reads a control's value with that control's own reader before any page code runs, so a value that no
real control could send (NaN for a whole number, text for a number, malformed or deeply nested JSON for a chart)
raised inside Streamlit on that run and on every run after it. Here each incoming value is tried with its
control's reader first; one that fails, or comes in the wrong kind of field, is dropped (the control keeps its
previous value) and the page says so. Values that can be read still pass through `parse_settings` like a link's.
"""

from __future__ import annotations

import threading

from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates
from streamlit.runtime.state.common import unpack_widget_state_value
from streamlit.runtime.state.session_state import SessionState

MAX_JSON_CHARS = 64 * 1024  # a chart sets a short request as its state; nothing of ours is larger
# Field kinds whose readers have side effects or read stored files: never tried here (the app has no such control).
_NOT_TRIED = frozenset({"file_uploader_state_value", "chat_input_value", "arrow_value", "bytes_value"})
# Numbers travel in either field: a whole-number input registers double_value but the browser sends int_value.
_SAME_KIND = {"int_value": "number", "double_value": "number"}
_dropped = threading.local()  # per script thread: Streamlit reads the values and runs the page in one thread


def install() -> None:
    """Check incoming values in every session from now on (once per process; calling again does nothing)."""
    original = SessionState.set_widgets_from_proto
    if getattr(original, "checks_values", False):
        return

    def set_widgets_from_proto(self: SessionState, widget_states: WidgetStates) -> None:
        _dropped.keys = _drop_unreadable(self, widget_states)
        original(self, widget_states)

    set_widgets_from_proto.checks_values = True  # type: ignore[attr-defined]
    SessionState.set_widgets_from_proto = set_widgets_from_proto  # type: ignore[method-assign]


def dropped_keys() -> list[str]:
    """The keys of the controls whose values this run dropped (then forgotten, so each is said once)."""
    keys = getattr(_dropped, "keys", [])
    _dropped.keys = []
    return keys


def _drop_unreadable(state: SessionState, widget_states: WidgetStates) -> list[str]:
    """Remove, in place, every value its control could not have sent; return those controls' keys."""
    readable, dropped = [], []
    for widget in widget_states.widgets:
        if _readable(state, widget):
            readable.append(widget)
        else:
            dropped.append(widget.id.rsplit("-", 1)[-1])  # a keyed control's id ends in its key
    if not dropped:
        return []
    del widget_states.widgets[:]
    widget_states.widgets.extend(readable)
    return dropped


def _readable(state: SessionState, widget: WidgetState) -> bool:
    """True if the control this value is for reads it without error, from the kind of field it sends."""
    metadata = state._new_widget_state.widget_metadata.get(widget.id)
    if metadata is None:
        return True  # not a control of this session: Streamlit ignores it
    kind = widget.WhichOneof("value")
    if kind is None:
        return True  # a cleared value: the control's default
    if _SAME_KIND.get(kind, kind) != _SAME_KIND.get(metadata.value_type, metadata.value_type):
        return False
    if kind in _NOT_TRIED:
        return True
    if kind == "json_value" and len(widget.json_value) > MAX_JSON_CHARS:
        return False
    try:
        metadata.deserializer(unpack_widget_state_value(widget))
    except Exception:  # ValueError, OverflowError, RecursionError from deep JSON, …: all mean "could not read"
        return False
    return True

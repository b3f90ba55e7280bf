"""Widget values from the browser, checked before Streamlit reads them.

Streamlit reads a control's value with that control's own reader before any page code runs, so a value that no
real control could send (NaN for a whole number, text for a number, malformed or deeply nested JSON for a chart)
raised inside Streamlit on that run and on every run after it, and a value it could read but not keep was changed
without a word (12.7 for a whole number became 12; a number out of range, or an option a slider does not have,
became the control's first value). Here each incoming value is tried with its control's reader first, and written
back with its writer: one that fails, comes back different, or comes in the wrong kind of field is dropped (the
control keeps its previous value) and the page says so. Values that pass still go through `parse_settings` like a
link's.

A link with more fields than Streamlit reads (1,000), or longer than it reads (512 KiB), was opened with no query at
all and no word said. Here it is cut to what Streamlit reads, at a field's end, and the page says how much was left.

A session's first run has no controls yet to read with: that is a tab whose server restarted under it (a link opened
afresh sends no values). Its values for settings are set aside here and read once each control is drawn
(`reconnected_query`), so the tab's first move after a restart is kept rather than overwritten by its old link.
"""

from __future__ import annotations

import threading

from collections import OrderedDict

from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates
from streamlit.runtime.app_session import AppSession
from streamlit.runtime.state.common import unpack_widget_state_value
from streamlit.runtime.state.query_params import CLIENT_STATE_QUERY_STRING_MAX_FIELDS, CLIENT_STATE_QUERY_STRING_MAX_LENGTH
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
from streamlit.runtime.state.session_state import Serialized, SessionState

from ..settings import URL_KEYS

MAX_JSON_CHARS = 64 * 1024  # a chart sets a short request as its state; nothing of ours is larger
_JSON = frozenset({"json_value", "json_trigger_value"})  # free-form state: capped and read, never written back
_EVENTS = "__events"  # a component's event channel: its id plus this (streamlit.components.v2)
_TRIGGERS = frozenset({"trigger_value", "string_trigger_value"})  # a button's press: nothing to write back
# Field kinds whose readers have side effects or read stored files: never tried here (the app has no such control).
_NOT_TRIED = frozenset({"file_uploader_state_value", "chat_input_value", "arrow_value", "bytes_value"})
# Numbers travel in either field: a whole-number input registers double_value but the browser sends int_value.
_SAME_KIND = {"int_value": "number", "double_value": "number"}
_run = threading.local()  # per script thread: Streamlit reads the values and runs the page in one thread


_cut_links: OrderedDict[str, int] = OrderedDict()  # session id → fields left out of its link, until its page says so
_cut_lock = threading.Lock()


def install() -> None:
    """Check incoming values and links in every session from now on (once per process; calling again does nothing)."""
    if not getattr(AppSession.request_rerun, "cuts_links", False):
        AppSession.request_rerun = _cutting_links(AppSession.request_rerun)  # type: ignore[method-assign]
    original = SessionState.set_widgets_from_proto
    if getattr(original, "checks_values", False):
        return

    def set_widgets_from_proto(self: SessionState, widget_states: WidgetStates) -> None:
        _run.dropped = _drop_unreadable(self, widget_states)
        original(self, widget_states)

    set_widgets_from_proto.checks_values = True  # type: ignore[attr-defined]
    SessionState.set_widgets_from_proto = set_widgets_from_proto  # type: ignore[method-assign]


def _cutting_links(request_rerun):
    """request_rerun, with a link past Streamlit's limits cut to them (and the cut remembered for the page)."""

    def cut_then_request(session: AppSession, client_state: ClientState | None) -> None:
        if client_state is not None:
            query, left_out = cut_link(client_state.query_string)
            if left_out:
                client_state.query_string = query
                with _cut_lock:
                    _cut_links[session.id] = left_out
                    while len(_cut_links) > 256:  # sessions that closed before their page ran
                        _cut_links.popitem(last=False)
        request_rerun(session, client_state)

    cut_then_request.cuts_links = True  # type: ignore[attr-defined]
    return cut_then_request


def cut_link(query: str) -> tuple[str, int]:
    """The query cut to the fields Streamlit reads (1,000, in 512 KiB), and how many fields were left out."""
    fields = query.count("&") + 1 if query else 0
    if fields <= CLIENT_STATE_QUERY_STRING_MAX_FIELDS and len(query) <= CLIENT_STATE_QUERY_STRING_MAX_LENGTH:
        return query, 0
    kept = query[: CLIENT_STATE_QUERY_STRING_MAX_LENGTH + 1].split("&")[:CLIENT_STATE_QUERY_STRING_MAX_FIELDS]
    if len("&".join(kept)) > CLIENT_STATE_QUERY_STRING_MAX_LENGTH:
        kept = kept[:-1]  # the last field was cut short at the length limit: leave it out whole
    return "&".join(kept), fields - len(kept)


def fields_left_out() -> int:
    """How many fields this session's link had beyond what is read (then forgotten, so it is said once)."""
    ctx = get_script_run_ctx()
    with _cut_lock:
        return _cut_links.pop(ctx.session_id, 0) if ctx else 0


def dropped_keys() -> list[str]:
    """The keys of the controls whose values this run dropped (then forgotten, so each is said once)."""
    keys = getattr(_run, "dropped", [])
    _run.dropped = []
    return keys


def as_query_value(value: object) -> str:
    """A control's value as the URL writes it: lists comma-joined, switches as 1/0 (then parsed like a link's value)."""
    if isinstance(value, (list, tuple)):
        return ",".join(str(item)[:100] for item in value[:100])
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def reconnected_query(key: str) -> tuple[bool, str | None]:
    """For a control just drawn in a session's first run: (True, the value its tab sent, as the URL writes it) if the
    control reads it and writes it back unchanged, (True, None) if it could not have sent it, and (False, None) if it
    sent none. Each value is read once."""
    widget = getattr(_run, "reconnected", {}).pop(key, None)
    state = getattr(_run, "state", None)
    if widget is None or state is None or widget.id not in state._new_widget_state.widget_metadata:
        return False, None  # none sent, or sent to a control drawn differently now: the link's value stands
    if not _readable(state, widget):
        return True, None
    reader = state._new_widget_state.widget_metadata[widget.id].deserializer
    return True, as_query_value(reader(unpack_widget_state_value(widget)))


def set_aside_reconnected() -> None:
    """At the start of a session's first run, set aside the values its tab sent for settings (see reconnected_query).

    Read from the session's widget values rather than as they arrive: a new process imports this module during its
    first run, after that run's values came in.
    """
    ctx = get_script_run_ctx()
    state = ctx.session_state._state if ctx else None
    _run.state = state
    _run.reconnected = {}
    if state is None or state._new_widget_state.widget_metadata:
        return  # not a first run: every value went to a control drawn last run
    for widget_id, value in state._new_widget_state.states.items():
        if isinstance(value, Serialized) and _key(widget_id) in URL_KEYS:
            _run.reconnected[_key(widget_id)] = value.value


def _drop_unreadable(state: SessionState, widget_states: WidgetStates) -> list[str]:
    """Remove, in place, every value its control could not have sent; return those controls' keys."""
    readable, dropped = [], []
    for widget in widget_states.widgets:
        if _readable(state, widget):
            readable.append(widget)
        else:
            dropped.append(_key(widget.id))
    if not dropped:
        return []
    del widget_states.widgets[:]
    widget_states.widgets.extend(readable)
    return dropped


def _key(widget_id: str) -> str:
    """A keyed control's key: the end of its id (a component's event channel adds "__events" to its own id)."""
    return widget_id.removesuffix(_EVENTS).rsplit("-", 1)[-1]


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
    if kind in _JSON and len(getattr(widget, kind)) > MAX_JSON_CHARS:
        return False
    try:
        sent = unpack_widget_state_value(widget)
        value = metadata.deserializer(sent)
        return kind in _JSON or kind in _TRIGGERS or _same(metadata.serializer(value), sent)
    except Exception:  # ValueError, OverflowError, RecursionError from deep JSON, …: all mean "could not read"
        return False


def _same(written: object, sent: object) -> bool:
    """True if the control writes back what was sent (lists element by element; 12 and 12.0 are the same number)."""
    if sent is None or isinstance(sent, (str, bytes, int, float)):
        return written == sent
    return list(written) == list(sent)  # type: ignore[call-overload]  # a list field: a scalar written back differs

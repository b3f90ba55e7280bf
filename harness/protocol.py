"""A minimal client that speaks Streamlit's own WebSocket protocol, for measuring the real server under load.

A browser tab and this client send the same messages: a BackMsg asking for a script run (with the page, the
query string and the widgets' values), then the server streams ForwardMsgs until `script_finished`.
Like a browser, the client tells the server which large messages it already holds (so they are not resent),
and, as a chart does, it answers a stand-in figure's request for the run that computes the real one.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState


@dataclass
class Rerun:
    """One interaction as the client saw it: from the request to the last `script_finished`."""

    seconds: float
    bytes_received: int
    errors: list[str]
    follow_up: WidgetState | None  # a stand-in's request, as its chart sets it (None if none)
    shown: list[str] = field(default_factory=list)  # the bodies of notices and plain-text elements the run drew


@dataclass
class Select:
    """A select slider as the page drew it: its widget id, its options as shown, and the one its thumb is on (moved
    there by the client, or set there by the server)."""

    id: str
    options: list[str]
    value: str = ""


@dataclass
class Session:
    """One open page: the socket, the page's current query string, and its select sliders by key."""

    socket: websockets.ClientConnection
    page: str
    query: str
    sliders: dict[str, Select] = field(default_factory=dict)
    page_hash: str = ""
    cached: set[str] = field(default_factory=set)  # hashes of large messages kept, as a browser keeps them
    requested: dict[str, str] = field(default_factory=dict)  # each chart's last request, set once
    widgets: dict[str, tuple[str, str]] = field(default_factory=dict)  # every control drawn: key → (kind, id)

    @classmethod
    async def begin(cls, server: str, page: str, query: str, until: str) -> Session:
        """Open `page` with a link's query and read its first run only until it shows `until` (in a notice, plain
        text or a progress bar): the run goes on, and `finish` reads the rest."""
        socket = await websockets.connect(f"ws://{server}/_stcore/stream", subprotocols=["streamlit"], max_size=2**26)
        session = cls(socket, page, query)
        await session.send([])
        await session.finish(time.perf_counter(), until=lambda shown: any(until in text for text in shown))
        return session

    @classmethod
    async def open(cls, server: str, page: str, query: str, widgets: list[WidgetState] = ()) -> tuple[Session, Rerun]:
        """Connect to ws://server and run `page` (its URL path, "" for Home) with a shared link's query string; with
        `widgets`, as a tab whose server restarted does (its controls' values come with its first run)."""
        socket = await websockets.connect(f"ws://{server}/_stcore/stream", subprotocols=["streamlit"], max_size=2**26)
        session = cls(socket, page, query)
        return session, await session.rerun(list(widgets))

    async def rerun(self, widgets: list[WidgetState]) -> Rerun:
        """Ask for a script run with these widget values and read until it finishes."""
        start = time.perf_counter()
        await self.send(widgets)
        return await self.finish(start)

    async def send(self, widgets: list[WidgetState]) -> None:
        """Ask for a script run with these widget values (a move made while a run is under way, with finish)."""
        message = BackMsg()
        state = message.rerun_script
        state.query_string = self.query
        state.page_name = self.page
        state.page_script_hash = self.page_hash
        state.widget_states.widgets.extend(widgets)
        # Like a browser, say which large messages we hold, so the server sends a reference instead of resending them.
        state.cached_message_hashes.extend(sorted(self.cached))
        await self.socket.send(message.SerializeToString())

    async def finish(self, start: float, until=None) -> Rerun:
        """Read until the last run asked for finishes (or, with `until`, until what it was shown so far passes it)."""
        received, errors, follow_up, shown = 0, [], None, []
        while True:
            data = await self.socket.recv()
            received += len(data)
            reply = ForwardMsg()
            reply.ParseFromString(data)
            kind = reply.WhichOneof("type")
            if reply.metadata.cacheable:
                self.cached.add(reply.hash)
            if kind == "navigation":  # the page this run resolved to: later runs name it by its hash
                self.page_hash = reply.navigation.page_script_hash
            elif kind == "page_info_changed":
                self.query = reply.page_info_changed.query_string
            elif kind == "delta":
                errors += self._read_delta(reply)
                shown += _shown_text(reply)
                follow_up = self._request(reply) or follow_up
                if until is not None and until(shown):
                    return Rerun(time.perf_counter() - start, received, errors, follow_up, shown)
            elif kind == "script_finished" and reply.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                return Rerun(time.perf_counter() - start, received, errors, follow_up, shown)

    def _read_delta(self, reply: ForwardMsg) -> list[str]:
        """Remember select sliders; report exceptions and error boxes the page drew."""
        if reply.delta.WhichOneof("type") != "new_element":
            return []
        element = reply.delta.new_element
        kind = element.WhichOneof("type")
        if kind == "exception":
            return [f"{element.exception.type}: {element.exception.message}"]
        if kind == "alert" and element.alert.format == element.alert.ERROR:
            return [element.alert.body]
        if kind == "slider" and element.slider.options:
            key = element.slider.id.rsplit("-", 1)[-1]  # keyed widgets' ids end in "-<key>"
            thumb = element.slider.raw_value[0] if element.slider.set_value else getattr(self.sliders.get(key), "value", "")
            self.sliders[key] = Select(element.slider.id, list(element.slider.options), thumb)
        widget = getattr(element, kind) if kind else None
        if getattr(widget, "id", ""):
            self.widgets[widget.id.rsplit("-", 1)[-1]] = (kind, widget.id)
        return []

    def _request(self, reply: ForwardMsg) -> WidgetState | None:
        """A chart's request for a new run, set once as its state `request` (static/chart.js).

        The chart waits 250 ms for the slider to settle before it asks; the client asks at once.
        """
        if reply.delta.WhichOneof("type") != "new_element" or reply.delta.new_element.WhichOneof("type") != "bidi_component":
            return None
        chart = reply.delta.new_element.bidi_component
        request = json.loads(chart.bytes.split(b"\n", 1)[0]).get("request", "")
        if not request or self.requested.get(chart.id) == request:
            return None
        self.requested[chart.id] = request
        return WidgetState(id=chart.id, json_value=json.dumps({"request": request}))

    async def select(self, key: str, option: str) -> Rerun:
        """Move the select slider `key` to the option shown as `option`, as a browser does."""
        return await self.rerun([self.move(key, option)])

    def move(self, key: str, option: str) -> WidgetState:
        """The value a browser sends when its select slider `key` is moved to `option` (the thumb moves there)."""
        self.sliders[key].value = option
        widget = WidgetState(id=self.sliders[key].id)
        widget.string_array_value.data.append(option)
        return widget

    async def close(self) -> None:
        await self.socket.close()


def _shown_text(reply: ForwardMsg) -> list[str]:
    """The body of an alert or a plain-text element this delta draws (notices are both), a progress bar's text, or a
    caption."""
    if reply.delta.WhichOneof("type") != "new_element":
        return []
    element = reply.delta.new_element
    kind = element.WhichOneof("type")
    if kind == "alert":
        return [element.alert.body]
    if kind == "text":
        return [element.text.body]
    if kind == "progress":
        return [element.progress.text]
    if kind == "markdown" and element.markdown.element_type == element.markdown.CAPTION:
        return [element.markdown.body]
    return []

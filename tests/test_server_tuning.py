"""The first page runs tune the server's process: replies without Nagle's delay, and a frozen import heap."""

import gc
import socket
import sys

import pytest

from lora_viz.ui import server
from harness.pages import open_page


def _no_delay(sock: socket.socket) -> bool:
    return bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))


@pytest.fixture
def untuned(monkeypatch):
    """The module as in a fresh process: nothing tuned, nothing frozen."""
    monkeypatch.setattr(server, "_sockets_tuned", False)
    monkeypatch.setattr(server, "_modules_frozen", 0)
    yield
    gc.unfreeze()


# The app's servers run on Linux (the README's recipes, Community Cloud); elsewhere the tuning is a no-op.
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/fd; Linux copies the option")


@linux_only
def test_a_listening_socket_bound_as_streamlit_binds_it_gets_no_delay_and_its_connections_inherit_it(untuned):
    # As Streamlit 1.67 binds it: protocol 0, so asyncio does not set TCP_NODELAY on what it accepts.
    listener = socket.socket(socket.AF_INET)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    early = socket.create_connection(listener.getsockname())
    early_served, _ = listener.accept()
    assert listener.proto == 0 and not _no_delay(early_served)

    server.send_without_delay()

    assert _no_delay(listener) and _no_delay(early_served)  # the connection already open is tuned too
    late = socket.create_connection(listener.getsockname())
    late_served, _ = listener.accept()
    assert _no_delay(late_served)  # and every later one inherits it
    for sock in (listener, early, early_served, late, late_served):
        sock.close()


@linux_only
def test_sockets_are_tuned_once_per_process(untuned, monkeypatch):
    seen = []
    monkeypatch.setattr(server, "_no_delay", seen.append)
    server.send_without_delay()
    first = len(seen)
    server.send_without_delay()
    assert first > 0 and len(seen) == first


def test_anything_that_is_not_a_tcp_socket_is_left_alone(tmp_path):
    with open(tmp_path / "file", "w") as file:
        server._no_delay(file.fileno())  # not a socket: no error
    left, right = socket.socketpair()  # a Unix socket has no TCP options
    server._no_delay(left.fileno())
    left.close(), right.close()


def test_the_heap_is_frozen_after_new_imports_and_collected_only_then(untuned, monkeypatch):
    collections = []
    real_collect = gc.collect
    monkeypatch.setattr(gc, "collect", lambda *args: collections.append(args) or real_collect(*args))
    server.freeze_imports()
    assert gc.get_freeze_count() > 0 and len(collections) == 1
    server.freeze_imports()  # nothing imported since: no second full collection
    assert len(collections) == 1
    monkeypatch.setitem(sys.modules, "lora_viz_new_module", object())
    server.freeze_imports()
    assert len(collections) == 2


def test_a_page_run_tunes_the_process(untuned):
    open_page("app.py", {})
    assert server._sockets_tuned and server._modules_frozen > 0 and gc.get_freeze_count() > 0


def test_the_browser_keeps_large_messages_long_enough_for_rapid_key_presses():
    """At Streamlit's default of 2 finished runs, keys pressed 50–80 ms apart on a loaded machine broke the connection
    ("Cached ForwardMsg MISS") and lost the last press (.streamlit/config.toml says how often). The served app reads
    this file."""
    import tomllib
    from pathlib import Path

    config = tomllib.loads((Path(__file__).parents[1] / ".streamlit" / "config.toml").read_text())
    assert config["global"]["maxCachedMessageAge"] >= 20

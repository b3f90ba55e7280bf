"""Three settings of the server's process that Streamlit leaves slow, each applied from the first page run.

- **Replies without Nagle's delay.** Streamlit 1.67 binds its listening socket itself, with protocol 0, so
  asyncio does not set TCP_NODELAY on the connections it accepts. A rerun's first message then goes out alone
  and the rest wait for the browser's delayed acknowledgement: about 40 ms on every move, on any Streamlit page.
  Setting TCP_NODELAY on the listening socket fixes it for every later connection (Linux copies it to them),
  and on the connections already open for the ones that came first.
- **A collector that skips the code.** After every run Streamlit collects garbage in full (`runner.postScriptGC`),
  walking every object in the process: with Streamlit, NumPy and Plotly imported that is about 50 ms on this
  machine, on every move and for every student in a class. Freezing the heap once the pages' modules are
  imported moves those objects out of the collector's sight; what sessions make later is still collected.
- **No look-up of the server's address on the network.** A WebSocket from another site's page is refused, but
  before refusing it Streamlit asks checkip.amazonaws.com for the server's external address, and when that fails
  (no network, as on a school's closed one) it asks again the next time: up to two seconds of a blocked event
  loop, for every such request. The address found at start-up, if any, is kept; no later request looks it up.
"""

from __future__ import annotations

import gc
import os
import socket
import sys
import threading

from streamlit import net_util

_lock = threading.Lock()
_sockets_tuned = False
_modules_frozen = 0  # len(sys.modules) when the heap was last frozen


def send_without_delay() -> None:
    """Set TCP_NODELAY on the process's TCP sockets, once per process (a no-op where /proc/self/fd is missing)."""
    global _sockets_tuned
    with _lock:
        if _sockets_tuned:
            return
        _sockets_tuned = True
        try:
            descriptors = [int(name) for name in os.listdir("/proc/self/fd")]
        except OSError:
            return
        for fd in descriptors:
            _no_delay(fd)


def no_address_lookups() -> None:
    """Streamlit's external-address look-up answers with what start-up found (or nothing), never asking the network."""
    net_util.get_external_ip = lambda: net_util._external_ip


def _no_delay(fd: int) -> None:
    """TCP_NODELAY on `fd` if it is a TCP socket; anything else is left as it is."""
    try:
        duplicate = os.dup(fd)
    except OSError:  # closed meanwhile
        return
    try:
        sock = socket.socket(fileno=duplicate)
    except OSError:  # not a socket
        os.close(duplicate)
        return
    try:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        pass
    finally:
        sock.close()  # closes the duplicate only


def freeze_imports() -> None:
    """Collect, then freeze the heap, whenever modules were imported since the last freeze (a page's first run)."""
    global _modules_frozen
    with _lock:
        if len(sys.modules) == _modules_frozen:
            return
        gc.collect()
        gc.freeze()
        _modules_frozen = len(sys.modules)

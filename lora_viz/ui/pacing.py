"""One session cannot crowd out the others: its reruns are paced to its share of the server.

Streamlit starts a run for every rerun a browser asks for, stopping the one under way. A socket that sends reruns
as fast as it can (939 in 20 s, measured) kept the server busy, and another student's move then took 75 s. Here each
session's runs are charged the CPU time they take, and each request a little, run or not, from a bucket it may spend
at once (BURST_S) that refills at RATE of one core. A rerun asked for while the bucket is empty is held, and any asked
for after it are folded into it (the newest values win; a button's press is kept), until the bucket has refilled:
moves that come faster than the session may run them are coalesced to the newest, and the page and its link follow
that one. A student moving a control
about once a second spends a sixth of that share; a socket sending reruns faster than the share refills waits until
it stops, and then its newest runs.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.runtime.app_session import AppSession
from streamlit.runtime.scriptrunner_utils.script_requests import _coalesce_widget_states
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

RATE = 0.2  # of one core, over time, for each session (a student moving once a second spends about 0.03)
BURST_S = 2.0  # CPU seconds a session may spend at once (opening the heaviest page takes a few tenths)
# Streamlit's own work for a run beyond the page's thread time: starting it and sending its messages from the event
# loop. Measured under a flood: 31 s of extra CPU for 2,038 runs started and 10,714 reruns asked for, about 15 ms a run.
RUN_OVERHEAD_S = 0.015
MESSAGE_S = 0.001  # reading one rerun request on the event loop, whether it runs or is folded


@dataclass
class Bucket:
    """A session's CPU allowance (seconds; negative when overspent) and the rerun it holds back, if any."""

    seconds: float = BURST_S
    at: float = field(default_factory=lambda: time.monotonic())
    held: ClientState | None = None

    def refill(self) -> float:
        """The allowance now (refilled at RATE since last time, at most BURST_S)."""
        now = time.monotonic()
        self.seconds = min(BURST_S, self.seconds + RATE * (now - self.at))
        self.at = now
        return self.seconds

    def wait(self) -> float:
        """Seconds until the allowance is back above zero."""
        return max(0.0, -self.refill() / RATE)


# By session id, which both ends know: the event loop's AppSession, and the script thread's run context. A full
# bucket holding nothing is the same as none, so those are dropped whenever there are many: the dictionary holds
# only the sessions spending faster than their share right now.
_buckets: dict[str, Bucket] = {}
_lock = threading.Lock()
_MANY = 256


def _bucket(session_id: str) -> Bucket:
    """The session's bucket (lock held)."""
    bucket = _buckets.get(session_id)
    if bucket is None:
        if len(_buckets) >= _MANY:
            for key in [key for key, old in _buckets.items() if old.held is None and old.refill() >= BURST_S]:
                del _buckets[key]
        bucket = _buckets[session_id] = Bucket()
    return bucket


def charge(seconds: float) -> None:
    """Charge this run's CPU seconds (plus Streamlit's own share) to its session; a no-op outside a session."""
    ctx = get_script_run_ctx()
    if ctx is not None:
        spend(ctx.session_id, seconds + RUN_OVERHEAD_S)


def spend(session_id: str, seconds: float) -> None:
    """Take seconds from a session's allowance."""
    with _lock:
        bucket = _bucket(session_id)
        bucket.refill()
        bucket.seconds -= seconds


def install() -> None:
    """Pace every session's reruns from now on (once per process; calling again does nothing)."""
    if not getattr(AppSession.request_rerun, "paced", False):
        AppSession.request_rerun = paced(AppSession.request_rerun)  # type: ignore[method-assign]


def paced(request_rerun: Callable[[AppSession, ClientState | None], None]) -> Callable[[AppSession, ClientState | None], None]:
    """request_rerun, holding back a session's reruns while its allowance is spent (on the server's event loop)."""

    def pace(session: AppSession, client_state: ClientState | None) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if client_state is None or loop is None:  # not a browser's rerun (a restart, a file change): never held
            request_rerun(session, client_state)
            return
        with _lock:
            bucket = _bucket(session.id)
            bucket.seconds -= MESSAGE_S
            holding = bucket.held is not None
            if holding or bucket.wait() > 0:
                bucket.held = _fold(bucket.held, client_state)
                delay = None if holding else bucket.wait()
            else:
                delay = -1.0
        if delay is None:
            return  # folded into the rerun already held, whose release is scheduled
        if delay < 0:
            request_rerun(session, client_state)
            return
        loop.call_later(delay, release, session, loop)

    def release(session: AppSession, loop: asyncio.AbstractEventLoop) -> None:
        """Run the held rerun once the allowance is back (or wait on, if the running page spent more meanwhile)."""
        with _lock:
            bucket = _bucket(session.id)
            delay = bucket.wait()
            held = bucket.held if delay <= 0 else None
            if held is not None:
                bucket.held = None
        if held is None:
            loop.call_later(max(delay, 0.01), release, session, loop)
        else:
            request_rerun(session, held)

    pace.paced = True  # type: ignore[attr-defined]
    return pace


def _fold(held: ClientState | None, newer: ClientState) -> ClientState:
    """One rerun for two: the newer one, keeping a button press only the held one carried (Streamlit's own rule)."""
    if held is None:
        return newer
    folded = ClientState()
    folded.CopyFrom(newer)
    widgets = _coalesce_widget_states(held.widget_states, newer.widget_states)
    if widgets is not None:
        folded.widget_states.CopyFrom(widgets)
    return folded

"""Reruns paced to each session's share (lora_viz/ui/pacing.py), on a clock and an event loop the test drives."""

from types import SimpleNamespace

import pytest
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.WidgetStates_pb2 import WidgetState

from lora_viz.ui import pacing


class Loop:
    """Stands for the server's event loop: keeps what is scheduled, for the test to run when it chooses."""

    def __init__(self):
        self.scheduled = []

    def call_later(self, delay, callback, *args):
        self.scheduled.append((delay, callback, args))

    def run_due(self, clock):
        due, self.scheduled = self.scheduled, []
        for delay, callback, args in due:
            clock.now += delay
            callback(*args)

    def run_all(self, clock):
        """Run what is scheduled, and what that schedules, until nothing is; the time it took on the clock."""
        start = clock.now
        while self.scheduled:
            self.run_due(clock)
        return clock.now - start


@pytest.fixture(autouse=True)
def _no_buckets(monkeypatch):
    monkeypatch.setattr(pacing, "_buckets", {})


@pytest.fixture()
def clock(monkeypatch):
    clock = SimpleNamespace(now=1000.0)
    monkeypatch.setattr(pacing.time, "monotonic", lambda: clock.now)
    return clock


@pytest.fixture()
def loop(monkeypatch):
    loop = Loop()
    monkeypatch.setattr(pacing.asyncio, "get_running_loop", lambda: loop)
    return loop


def _move(r: str, pressed: str = "") -> ClientState:
    state = ClientState(query_string="v=3")
    slider = WidgetState(id="$$ID-slider-r")
    slider.string_array_value.data.append(r)
    state.widget_states.widgets.append(slider)
    if pressed:
        state.widget_states.widgets.append(WidgetState(id=pressed, trigger_value=True))
    return state


def test_a_session_within_its_share_runs_every_rerun_at_once(clock, loop):
    ran = []
    request_rerun = pacing.paced(lambda session, state: ran.append(state))
    session = SimpleNamespace(id="calm")
    for r in ("8", "12", "16"):
        request_rerun(session, _move(r))
        pacing.spend("calm", 0.03)  # a move's run on the matrices page
        clock.now += 1.0
    assert [state.widget_states.widgets[0].string_array_value.data[0] for state in ran] == ["8", "12", "16"]
    assert not loop.scheduled


def test_a_flooding_session_is_coalesced_to_its_newest_rerun_keeping_a_press(clock, loop):
    ran = []
    request_rerun = pacing.paced(lambda session, state: ran.append(state))
    flood = SimpleNamespace(id="flood")
    pacing.spend("flood", pacing.BURST_S + 0.5)  # it has spent its burst and half a second more
    for n in range(50):
        request_rerun(flood, _move(str(n + 1), pressed="$$ID-button-next" if n == 10 else ""))
    assert ran == [] and len(loop.scheduled) == 1  # all fifty held, one release scheduled
    waited = loop.run_all(clock)
    # released once its allowance is back above zero: what it overspent, and what its fifty requests cost
    assert waited == pytest.approx((0.5 + 50 * pacing.MESSAGE_S) / pacing.RATE, abs=0.02)
    assert len(ran) == 1
    widgets = {widget.id: widget for widget in ran[0].widget_states.widgets}
    assert widgets["$$ID-slider-r"].string_array_value.data[0] == "50"  # the newest value wins
    assert widgets["$$ID-button-next"].trigger_value  # and the press an earlier one carried is kept
    request_rerun(flood, _move("51"))  # its allowance is back: the next one runs at once
    assert len(ran) == 2


def test_one_sessions_flood_holds_back_nobody_else(clock, loop):
    ran = []
    request_rerun = pacing.paced(lambda session, state: ran.append(session.id))
    pacing.spend("flood 2", 5.0)
    for _ in range(20):
        request_rerun(SimpleNamespace(id="flood 2"), _move("1"))
    request_rerun(SimpleNamespace(id="student"), _move("8"))
    assert ran == ["student"]


def test_a_release_waits_on_if_the_running_page_spent_more_meanwhile(clock, loop):
    ran = []
    request_rerun = pacing.paced(lambda session, state: ran.append(state))
    pacing.spend("busy", pacing.BURST_S + 0.25)
    request_rerun(SimpleNamespace(id="busy"), _move("2"))
    pacing.spend("busy", 0.5)  # its page, still running, spends more before the release comes
    loop.run_due(clock)
    assert ran == [] and len(loop.scheduled) == 1
    loop.run_all(clock)
    assert len(ran) == 1


def test_only_the_sessions_spending_beyond_their_share_are_remembered(clock):
    for n in range(3 * pacing._MANY):
        pacing.spend(f"visitor {n}", 0.01)
        clock.now += 1.0  # each refills long before the next comes
    assert len(pacing._buckets) <= pacing._MANY

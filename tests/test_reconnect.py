"""A tab whose server restarted comes back in a new session that has drawn no control yet: its first run carries the
values of the tab's controls, one of them just moved. The move is kept (it was lost to the tab's old link), and a
value no control could have sent is dropped with a notice, as in any other run."""

import asyncio
import math

import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState

from harness.protocol import Session

pytestmark = pytest.mark.server
LINK = "d=64&k=64&r=16"


async def _ids(server: str) -> dict[str, str]:
    """The widget ids of the matrices page's controls, as a tab that drew them holds them."""
    session, _ = await Session.open(server, "matrices", LINK)
    await session.close()
    return {key: widget_id for key, (_, widget_id) in session.widgets.items()}


async def _first_run(server: str, *values: tuple[str, str, object]) -> Session:
    """A new session whose first run sends these (key, field, value) control values, then a run with none."""
    ids = await _ids(server)
    widgets = []
    for key, field, value in values:
        widget = WidgetState(id=ids[key])
        if field.endswith("_array_value"):
            getattr(widget, field).data.extend(value)
        else:
            setattr(widget, field, value)
        widgets.append(widget)
    session, first = await Session.open(server, "matrices", LINK, widgets)
    session.first = first
    return session


def test_a_reconnected_tabs_first_move_is_kept(server):
    async def run():
        session = await _first_run(server, ("r", "string_array_value", ["20"]), ("d", "int_value", 64))
        await session.close()
        return session

    session = asyncio.run(run())
    assert not session.first.errors, session.first.errors
    assert "r=20" in session.query.split("&"), session.query  # the link follows the move (it said r=16 before)
    assert "d=64" in session.query.split("&")


@pytest.mark.parametrize("field, value", [("double_value", math.nan), ("double_value", 12.7), ("int_value", 2**63 - 1)])
def test_a_reconnected_tabs_impossible_value_is_dropped_with_a_notice(server, field, value):
    async def run():
        session = await _first_run(server, ("d", field, value))
        await session.close()
        return session

    session = asyncio.run(run())
    assert not session.first.errors, session.first.errors
    assert any("“d”: a control sent a value it could not have sent" in text for text in session.first.shown), session.first.shown
    assert "d=64" in session.query.split("&"), session.query

"""A WebSocket from another site's page is refused; refusing it must not send the server looking for its own address
on the network (Streamlit asked checkip.amazonaws.com every time, blocking its event loop while it waited)."""

import asyncio

import pytest
import websockets

from harness.browser import running_server
from harness.protocol import Session

pytestmark = pytest.mark.server
LOOKUP_FAILED = "Did not auto detect external IP"  # what Streamlit logs each time that look-up fails


def test_a_refused_cross_site_websocket_looks_nothing_up():
    with running_server() as server:
        host = server.url.removeprefix("http://")

        async def run():
            session, _ = await Session.open(host, "", "")  # the first page run tunes the server
            await session.close()
            refused = 0
            for _ in range(3):
                try:
                    await websockets.connect(f"ws://{host}/_stcore/stream", subprotocols=["streamlit"],
                                             origin="http://evil.example")
                except websockets.exceptions.InvalidStatus as error:
                    refused += error.response.status_code == 403
            return refused

        assert asyncio.run(run()) == 3
        assert LOOKUP_FAILED not in server.log.read_text(errors="replace")

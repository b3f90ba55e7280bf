"""Moves faster than the server can run them: a burst of rank moves from one socket, each sent before the last one's
run (and new address) came back. The page, its thumb and its link must end on the last move, every time. They
ended on an earlier one in about two bursts of three: a run asked for with an address the server had just replaced
was read as a new link, and the link won over the move."""

import asyncio
import random
import time

import pytest

from harness.protocol import Session

pytestmark = pytest.mark.server
BURSTS, MOVES = 5, 150
DEADLINE_S = 60  # not a timing check: a page that never reaches the last move fails here instead of hanging


async def _burst(session: Session, options: list[str], rng: random.Random) -> str:
    """Send MOVES rank moves back to back, ending on an option sent only last; read until a run shows it."""
    last = rng.choice(options)
    moves = [rng.choice([option for option in options if option != last]) for _ in range(MOVES - 1)] + [last]
    for option in moves:
        await session.send([session.move("r", option)])
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        try:
            rerun = await asyncio.wait_for(session.finish(time.perf_counter()), deadline - time.monotonic())
        except asyncio.TimeoutError:
            break
        assert not rerun.errors, rerun.errors
        if f"r={last}" in session.query.split("&") and session.sliders["r"].value == last:
            return last
    raise AssertionError(f"the page never reached r = {last}: it shows {session.sliders['r'].value}, its link {session.query}")


def test_a_burst_of_moves_ends_on_the_last_one_in_the_page_and_its_link(server):
    async def run():
        session, _ = await Session.open(server, "matrices", "d=1024&k=1024")
        rng = random.Random(7)
        try:
            return [await _burst(session, session.sliders["r"].options, rng) for _ in range(BURSTS)]
        finally:
            await session.close()

    assert len(asyncio.run(run())) == BURSTS


"""Trainings across sessions on one server: one link opened by a class trains once, and at most two run at once."""

import asyncio

import pytest

from tests.support.protocol import Session

pytestmark = pytest.mark.server
WAITING = "Training in another session"
QUEUED = "Queued:"


async def _open_together(server: str, queries: list[str]) -> list[list[str]]:
    """Open /low_rank with each query at the same moment; what each first run showed (notices and plain text)."""
    async def open_one(query: str) -> list[str]:
        session, rerun = await Session.open(server, "low_rank", query)
        await session.close()
        assert not rerun.errors, rerun.errors
        return rerun.shown

    return await asyncio.gather(*(open_one(query) for query in queries))


def test_a_class_opening_one_link_trains_once_and_the_others_wait_for_it(server):
    shown = asyncio.run(_open_together(server, ["seed=11"] * 4))  # a new training of about 4 s, asked for four times
    waited = [texts for texts in shown if any(WAITING in text for text in texts)]
    assert len(waited) == 3, shown  # all but the session that trains


def test_at_most_two_trainings_run_at_once_and_a_third_queues(server):
    shown = asyncio.run(_open_together(server, ["seed=21", "seed=22", "seed=23"]))
    queued = [texts for texts in shown if any(QUEUED in text for text in texts)]
    assert len(queued) == 1, shown

"""Trainings across sessions on one server: one link opened by a class trains once, and at most two run at once."""

import asyncio
import time

import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState

from harness.protocol import Session

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


def test_every_waiter_gets_the_training_when_its_starter_moves_on(server):
    """A class of ten on one new link; the student whose page started the training moves a control that needs another
    training. Their stop reached every waiting page (their scripts stopped too, with no result, for good); now the
    training runs on its own thread, and all nine others get it."""
    query = "seed=31&steps=1000"  # about 5 s alone: long enough for nine pages to be waiting for it

    async def run():
        starter = await Session.begin(server, "low_rank", query, "Training full fine-tuning")
        waiters = await asyncio.gather(*(Session.begin(server, "low_rank", query, WAITING) for _ in range(9)))
        steps = WidgetState(id=starter.widgets["steps"][1], int_value=1050)
        await starter.send([steps])  # it moves on: its old run stops, and it asks for another training
        await starter.socket.close()
        finished = await asyncio.gather(*(waiter.finish(time.perf_counter()) for waiter in waiters))
        for waiter in waiters:
            await waiter.close()
        return finished

    for rerun in asyncio.run(run()):
        assert not rerun.errors, rerun.errors
        assert any(text.startswith("Trained: full fine-tuning and LoRA at ranks 1–48, 1000 steps") for text in rerun.shown), rerun.shown

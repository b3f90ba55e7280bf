"""Long builds on the server's own threads (lora_viz/builds.py): shared, outliving the session that asked first,
fair between sessions, within a CPU budget. Each test drives builds that wait on events, never on a clock."""

import threading

import pytest

from lora_viz.builds import BuildFailed, Builds, Job
from lora_viz.cache import LruCache


def _gate():
    """A build that says it started, then waits to be let go, reporting progress as it waits."""
    started, release = threading.Event(), threading.Event()

    def build(job: Job) -> str:
        started.set()
        while not release.wait(0.01):
            job.report(0.5)
        return f"built {job.key}"

    return build, started, release


def test_waiters_get_the_result_when_the_session_that_started_it_leaves():
    builds = Builds(workers=1, done=LruCache(size=4), budget_s=60)
    build, started, release = _gate()
    starter = builds.ask("link", "starter", build)
    assert starter.wait(5) is False and started.wait(5)
    waiters = [builds.ask("link", f"student {n}", lambda job: "never built twice") for n in range(9)]
    assert all(ticket.started_elsewhere for ticket in waiters)
    starter.leave()  # the starter moved a control, or closed the tab
    builds.ask("another link", "starter", lambda job: "its new training")  # and asks for something else
    release.set()
    assert all(ticket.wait(5) for ticket in waiters)
    assert {ticket.result() for ticket in waiters} == {"built link"}


def test_a_session_that_moves_on_cancels_its_own_build_nobody_else_waits_for():
    builds = Builds(workers=1, done=LruCache(size=4), budget_s=60)
    build, started, release = _gate()
    first = builds.ask("steps=100", "student", build)
    assert started.wait(5)
    first.leave()
    builds.ask("steps=200", "student", lambda job: "the one it wants now")
    assert first.wait(5)  # cancelled at its next report, without being let go
    with pytest.raises(BuildFailed):
        first.result()
    assert not builds.building("steps=100")


def test_one_session_has_at_most_one_build_in_the_queue_and_builds_start_in_order():
    builds = Builds(workers=1, done=LruCache(size=8), budget_s=60)
    build, started, release = _gate()
    builds.ask("running", "someone", build)
    assert started.wait(5)
    order = []
    tickets = {}
    for n in range(5):  # one session changes a setting five times while the worker is busy
        tickets[n] = builds.ask(f"mine {n}", "hasty", lambda job: order.append(job.key))
    other = builds.ask("theirs", "patient", lambda job: order.append(job.key))
    assert other.place == 1  # only the hasty session's last build is before it
    release.set()
    assert other.wait(5) and tickets[4].wait(5)
    assert order == ["mine 4", "theirs"]
    for n in range(4):
        with pytest.raises(BuildFailed):
            tickets[n].result()


def test_a_build_is_told_when_its_cpu_budget_is_spent():
    builds = Builds(workers=1, done=LruCache(size=4), budget_s=0.05)

    def spin(job: Job) -> int:
        reports = 0
        while True:  # burns CPU until the budget says stop (thread time: no clock on the wall)
            sum(range(10_000))
            reports += 1
            if not job.report(0.1):
                return reports

    ticket = builds.ask("heavy", "student", spin)
    assert ticket.wait(30)
    assert ticket.result() >= 1


def test_a_failure_reaches_every_waiter_and_the_next_ask_builds_again():
    builds = Builds(workers=1, done=LruCache(size=4), budget_s=60)
    started, release = threading.Event(), threading.Event()

    def fail(job: Job) -> str:
        started.set()
        release.wait(5)
        raise ValueError("boom")

    tickets = [builds.ask("key", "a", fail)]
    assert started.wait(5)
    tickets += [builds.ask("key", "b", lambda job: "unused"), builds.ask("key", "c", lambda job: "unused")]
    release.set()
    for ticket in tickets:
        assert ticket.wait(5)
        with pytest.raises(BuildFailed, match="boom"):
            ticket.result()
    again = builds.ask("key", "d", lambda job: "second try")
    assert again.wait(5) and again.result() == "second try"


def test_a_build_nobody_waits_for_is_cancelled_after_the_grace_period():
    builds = Builds(workers=1, done=LruCache(size=4), budget_s=60, grace_s=0.0)
    build, started, release = _gate()
    ticket = builds.ask("link", "student", build)
    assert started.wait(5)
    ticket.leave()  # the tab closed, and nobody else asked
    assert ticket.wait(5)  # cancelled at its next report, without being let go
    assert not builds.building("link")


def test_a_built_value_is_handed_back_without_a_build():
    builds = Builds(workers=1, done=LruCache(size=4), budget_s=60)
    first = builds.ask("key", "a", lambda job: ["value"])
    assert first.wait(5)
    again = builds.ask("key", "b", lambda job: ["other"])
    assert again.job is None and again.result() is first.result()

"""Long builds, such as a training: run on the server's own threads, shared by every session that asks for them,
and kept going whatever happens to the session that asked first.

A page asks for a build by its key and waits on the ticket it gets back, drawing the build's progress. A session
that reruns, moves on or closes its tab stops waiting; the build goes on for the others waiting for it.

- **Once per key.** A session asking for a key already asked for waits for that build.
- **Fair.** Builds start in the order they were asked for, `workers` at a time. A session waits for at most one build:
  asking for another stops its wait for the first, and a build no session waits for any more is cancelled at once
  if the asker started it (it moved on), or after `grace_s` seconds otherwise (a rerun comes back to it sooner).
  So one session never has more than one build of its own in the queue.
- **Bounded.** Each build runs within a CPU-time budget (its own thread's time). It reports its progress as it goes
  (`Job.report`), is told when its budget is spent, and then returns what it made so far.
- **Failures reach every waiter** as `BuildFailed`; the key is then free, so the next ask builds it again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Hashable, TypeVar

from .cache import LruCache

Value = TypeVar("Value")
LOG = logging.getLogger("lora_viz")
GRACE_S = 15.0  # a build no session waits for runs on this long: a page that reran comes back to it within ms


class Cancelled(Exception):
    """No session waits for this build any more."""


class BuildFailed(Exception):
    """The build raised an error (its message is in the server's log); asking again builds it again."""


@dataclass(eq=False)
class Job:
    """One build: its key, who asked first, who waits for it now, and how far it has got."""

    key: Hashable
    owner: Hashable
    build: Callable[[Job], Any]
    budget_s: float
    grace_s: float
    lock: threading.Lock
    future: Future = field(default_factory=Future)
    waiting: Counter = field(default_factory=Counter)  # session → its tickets still waiting
    left_at: float = field(default_factory=time.monotonic)  # when the last waiter left
    progress: float = 0.0
    cancelled: bool = False
    running: bool = False
    _cpu_start: float = 0.0

    def report(self, share: float) -> bool:
        """Called by the build as it goes, with the share done: True to go on, False once its CPU budget is spent
        (the build then returns what it has). Raises Cancelled when no session waits for it any more."""
        self.progress = share
        with self.lock:
            if not self.waiting and time.monotonic() - self.left_at > self.grace_s:
                self.cancelled = True
            if self.cancelled:
                raise Cancelled
        return time.thread_time() - self._cpu_start < self.budget_s


@dataclass(eq=False)
class Ticket(Generic[Value]):
    """A session's wait for one build; leave it (a `with` block does) when the session stops waiting."""

    builds: Builds
    job: Job | None  # None: the value was already built
    session: Hashable
    value: Any = None
    _left: bool = False

    def wait(self, seconds: float | None) -> bool:
        """True once the build has finished (well or not), waiting at most `seconds` for it (None: for as long as it takes)."""
        if self.job is None:
            return True
        try:
            self.job.future.exception(timeout=seconds)
        except TimeoutError:
            return False
        return True

    def result(self) -> Value:
        """The built value; BuildFailed if the build raised or was cancelled."""
        if self.job is None:
            return self.value
        try:
            return self.job.future.result(timeout=0)
        except (Cancelled, BuildFailed) as error:
            raise BuildFailed(str(error)) from None

    @property
    def progress(self) -> float:
        return 1.0 if self.job is None else self.job.progress

    @property
    def place(self) -> int | None:
        """While queued, how many queued builds start before this one (0: it is next); None once it runs."""
        return None if self.job is None else self.builds.place_of(self.job)

    @property
    def started_elsewhere(self) -> bool:
        """True if another session asked for this build first."""
        return self.job is not None and self.job.owner != self.session

    def leave(self) -> None:
        """Stop waiting (once; later calls do nothing)."""
        if self.job is not None and not self._left:
            self._left = True
            self.builds.leave(self.job, self.session)

    def __enter__(self) -> Ticket[Value]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.leave()


class Builds(Generic[Value]):
    """Builds by key on `workers` threads of their own, each within `budget_s` of CPU time; the values kept in `done`."""

    def __init__(self, workers: int, done: LruCache, budget_s: float, grace_s: float = GRACE_S) -> None:
        self.workers, self.budget_s, self.grace_s = workers, budget_s, grace_s
        self.done = done
        self._jobs: dict[Hashable, Job] = {}
        self._queue: list[Job] = []
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)
        self._threads: list[threading.Thread] = []

    def ask(self, key: Hashable, session: Hashable, build: Callable[[Job], Value]) -> Ticket[Value]:
        """A ticket for the value of key: already built, being built, or queued now with `build` (called with its Job)."""
        with self._lock:
            if key in self.done:
                return Ticket(self, None, session, self.done.peek(key))
            for other in list(self._jobs.values()):  # a session waits for one build: it no longer waits for the others
                if other.key != key and other.waiting.pop(session, 0):
                    other.left_at = time.monotonic()
                if other.key != key and other.owner == session and not other.waiting:
                    self._cancel(other)  # it moved on from its own build, and nobody else wants it
            job = self._jobs.get(key)
            if job is None or job.cancelled:  # a cancelled build may still be winding down: this is a new one
                job = self._jobs[key] = Job(key, session, build, self.budget_s, self.grace_s, self._lock)
                self._queue.append(job)
                self._start_workers()
                self._work.notify()
            job.waiting[session] += 1
            return Ticket(self, job, session)

    def place_of(self, job: Job) -> int | None:
        with self._lock:
            return self._queue.index(job) if job in self._queue else None

    def leave(self, job: Job, session: Hashable) -> None:
        with self._lock:
            if session not in job.waiting:
                return  # the session asked for another build since, which ended this wait
            job.waiting[session] -= 1
            if job.waiting[session] <= 0:
                del job.waiting[session]
                if not job.waiting:
                    job.left_at = time.monotonic()

    def building(self, key: Hashable) -> bool:
        """True while a build of key is queued or running."""
        with self._lock:
            return key in self._jobs

    def _cancel(self, job: Job) -> None:
        """Cancel a job (with the lock held): a queued one leaves the queue now, a running one at its next report."""
        job.cancelled = True
        if not job.running:
            self._queue.remove(job)
            self._finish(job)
            job.future.set_exception(Cancelled())

    def _finish(self, job: Job) -> None:
        if self._jobs.get(job.key) is job:
            del self._jobs[job.key]

    def _start_workers(self) -> None:
        while len(self._threads) < self.workers:
            thread = threading.Thread(target=self._work_on, name=f"lora-viz-build-{len(self._threads)}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _next(self) -> Job:
        """The first queued job that some session still waits for (or did lately); the others are cancelled."""
        with self._lock:
            while True:
                while not self._queue:
                    self._work.wait()
                job = self._queue.pop(0)
                if job.waiting or time.monotonic() - job.left_at <= self.grace_s:
                    job.running = True
                    return job
                job.cancelled = True
                self._finish(job)
                job.future.set_exception(Cancelled())

    def _work_on(self) -> None:
        while True:
            job = self._next()
            job._cpu_start = time.thread_time()
            try:
                value = job.build(job)
            except Cancelled as error:
                outcome: BaseException | None = error
            except Exception as error:  # every waiter is told; the server's log keeps the details
                LOG.exception("A build failed (%r)", job.key)
                outcome = BuildFailed(f"{type(error).__name__}: {error}")
            else:
                outcome = None
            with self._lock:
                if outcome is None:
                    self.done.put(job.key, value)
                self._finish(job)
            if outcome is None:
                job.future.set_result(value)
            else:
                job.future.set_exception(outcome)


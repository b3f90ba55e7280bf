"""A small thread-safe least-recently-used cache shared by every session, that builds each value once."""

from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import Future
from typing import Callable, Generic, Hashable, TypeVar

Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")
POLL_SECONDS = 0.5  # how often a waiting caller hears "still waiting" (a Streamlit page can stop there)
Waiting = Callable[[float], None]  # called with the seconds waited so far


class LruCache(Generic[Key, Value]):
    """Keeps the `size` most recently used values; a stream of new keys cannot grow memory without limit.

    A value is built once per key: sessions asking for a key that another session is building wait for that
    build and share its result (or its exception), instead of building the same thing side by side.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[Key, Value] = OrderedDict()
        self._building: dict[Key, Future[Value]] = {}
        self._lock = threading.Lock()

    def get(self, key: Key, make: Callable[[], Value], waiting: Waiting | None = None) -> Value:
        """The value for key, made when missing; while another session makes it, `waiting` is called every POLL_SECONDS."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            building = self._building.get(key)
            mine = building is None
            if mine:
                building = self._building[key] = Future()
        if not mine:
            return _poll(lambda timeout: building.result(timeout), waiting)
        try:
            value = make()
        except BaseException as error:  # the waiters get the same error; the next request tries again
            with self._lock:
                del self._building[key]
            building.set_exception(error)
            raise
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)
            del self._building[key]
        building.set_result(value)
        return value

    def building(self, key: Key) -> bool:
        """True while some session is making the value for key."""
        with self._lock:
            return key in self._building

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, key: Key) -> bool:
        with self._lock:
            return key in self._values


class Slots:
    """At most `count` jobs at once (a semaphore that says whether a caller had to queue)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._free = threading.BoundedSemaphore(count)

    def run(self, job: Callable[[], Value], queued: Waiting | None = None) -> Value:
        """Run job in a free slot; while none is free, `queued` is called every POLL_SECONDS."""

        def acquire(timeout: float) -> None:
            if not self._free.acquire(timeout=timeout):
                raise TimeoutError

        if not self._free.acquire(blocking=False):
            _poll(acquire, queued)
        try:
            return job()
        finally:
            self._free.release()


def _poll(wait: Callable[[float], Value], report: Waiting | None) -> Value:
    """wait(timeout) until it stops raising TimeoutError, calling report(seconds so far) before each wait."""
    waited = 0.0
    while True:
        if report is not None:
            report(waited)
        try:
            return wait(POLL_SECONDS)
        except TimeoutError:
            waited += POLL_SECONDS

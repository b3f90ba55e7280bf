"""A small thread-safe least-recently-used cache shared by every session, that builds each value once."""

from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import Future
from typing import Callable, Generic, Hashable, TypeVar

Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")


class _Abandoned(Exception):
    """The session building a value stopped (Streamlit stopped or reran its script) before the value was made."""


class LruCache(Generic[Key, Value]):
    """Keeps the `size` most recently used values; a stream of new keys cannot grow memory without limit.

    A value is built once per key, in the thread of the session that asked first: sessions asking for a key that is
    being built wait for that build and share its result, or its error. A session's own stop (Streamlit's stop and
    rerun signals) is never handed to the others: one of them builds the value instead. Builds here are short (a
    figure); a long one, such as a training, runs on threads of its own (`builds.py`).
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[Key, Value] = OrderedDict()
        self._building: dict[Key, Future[Value]] = {}
        self._lock = threading.Lock()

    def get(self, key: Key, make: Callable[[], Value]) -> Value:
        """The value for key, made when missing (or waited for while another session makes it)."""
        while True:
            with self._lock:
                if key in self._values:
                    self._values.move_to_end(key)
                    return self._values[key]
                building = self._building.get(key)
                mine = building is None
                if mine:
                    building = self._building[key] = Future()
            if mine:
                return self._make(key, make, building)
            try:
                return building.result()
            except _Abandoned:
                continue  # its builder's session stopped: ask again, and maybe build it here

    def _make(self, key: Key, make: Callable[[], Value], building: Future[Value]) -> Value:
        try:
            value = make()
        except Exception as error:  # a failure: the waiters get the same error; the next request tries again
            self._drop_build(key)
            building.set_exception(error)
            raise
        except BaseException:  # this session's own stop: not the waiters'
            self._drop_build(key)
            building.set_exception(_Abandoned())
            raise
        with self._lock:
            self._store(key, value)
            del self._building[key]
        building.set_result(value)
        return value

    def _drop_build(self, key: Key) -> None:
        with self._lock:
            del self._building[key]

    def _store(self, key: Key, value: Value) -> None:
        """Keep value as the most recently used, dropping the least recently used beyond `size` (lock held)."""
        self._values[key] = value
        self._values.move_to_end(key)
        while len(self._values) > self.size:
            self._values.popitem(last=False)

    def put(self, key: Key, value: Value) -> None:
        """Keep value for key (the least recently used beyond `size` is dropped)."""
        with self._lock:
            self._store(key, value)

    def peek(self, key: Key) -> Value | None:
        """The value kept for key, or None, as a use (it becomes the most recently used)."""
        with self._lock:
            if key not in self._values:
                return None
            self._values.move_to_end(key)
            return self._values[key]

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


# The one cache for everything the pages build, trainings included, under each builder's key (lora_viz.keys): our own
# rather than st.cache_data, because a hit hands back the same object (no unpickling, which costs more than building
# most figures) under a key that hashes in microseconds, and nothing changes the values. Figures are kept as their
# JSON bytes, mostly tens of KB (the merge animation, the largest, 150 KB); a training is at most about 1.2 MB (49
# loss curves of 3,000 steps). A class of 30 on one link wanders over 27 of its 48 ranks in a minute: about 54
# figures on the matrices page. So 96 entries: at most about 115 MB if every one were the largest training.
RESULTS_SIZE = 96
RESULTS: LruCache[Hashable, object] = LruCache(size=RESULTS_SIZE)

import sys
import threading

from lora_viz.cache import LruCache
from lora_viz.render.markdown import markdown_table


def test_cache_makes_once_then_hands_back_the_same_object():
    cache, made = LruCache(size=2), []
    first = cache.get("a", lambda: made.append("a") or ["value"])
    assert cache.get("a", lambda: made.append("again") or ["other"]) is first
    assert made == ["a"]


def test_cache_drops_the_least_recently_used_beyond_its_size():
    cache = LruCache(size=2)
    cache.get("a", lambda: 1)
    cache.get("b", lambda: 2)
    cache.get("a", lambda: 1)  # a is now the most recent
    cache.get("c", lambda: 3)
    assert len(cache) == 2
    assert cache.get("b", lambda: "made again") == "made again"  # b was dropped, a was kept
    assert cache.get("c", lambda: "no") == 3


def test_cache_stays_bounded_under_threads():
    cache = LruCache(size=8)
    threads = [threading.Thread(target=lambda n=n: [cache.get((n, i), lambda: i) for i in range(200)]) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(cache) == 8


def test_markdown_table_aligns_numbers_right_and_escapes_pipes():
    text = markdown_table({"": ["Weights", "a|b"], "bytes": ["1 B", "2 B"]})
    assert text.splitlines() == ["|   | bytes |", "|:---|---:|", "| Weights | 1 B |", "| a\\|b | 2 B |"]


def test_concurrent_requests_for_one_key_build_it_once_and_share_it():
    cache, builds = LruCache(size=4), []
    started, release = threading.Event(), threading.Event()

    def make():
        builds.append(1)
        started.set()
        release.wait(5)
        return object()

    results = []
    first = threading.Thread(target=lambda: results.append(cache.get("key", make)))
    first.start()
    started.wait(5)
    assert cache.building("key")
    others = [threading.Thread(target=lambda: results.append(cache.get("key", make))) for _ in range(5)]
    for thread in others:
        thread.start()
    release.set()
    for thread in (first, *others):
        thread.join(5)
    assert len(builds) == 1 and len(results) == 6 and all(result is results[0] for result in results)
    assert not cache.building("key")


def test_a_failed_build_reaches_its_waiters_and_the_next_request_tries_again():
    cache, started, release, errors = LruCache(size=4), threading.Event(), threading.Event(), []

    def fail():
        started.set()
        release.wait(5)
        raise ValueError("boom")

    def ask(make):
        try:
            cache.get("key", make)
        except ValueError as error:
            errors.append(error)

    threads = [threading.Thread(target=ask, args=(fail,))]
    threads[0].start()
    started.wait(5)
    threads.append(threading.Thread(target=ask, args=(lambda: "never",)))
    threads[1].start()
    release.set()
    for thread in threads:
        thread.join(5)
    assert len(errors) == 2
    assert cache.get("key", lambda: "second try") == "second try"


def _waiting_on_a_future(thread: threading.Thread) -> bool:
    """True while the thread blocks in Future.result (read from its stack, not guessed from a clock)."""
    frame = sys._current_frames().get(thread.ident)
    while frame is not None:
        if frame.f_code.co_name == "result" and "concurrent" in frame.f_code.co_filename:
            return True
        frame = frame.f_back
    return False


class _Stopped(BaseException):
    """Stands for Streamlit's stop and rerun signals, which are BaseExceptions raised in one session's thread."""


def test_a_builders_stop_is_not_handed_to_its_waiters_one_of_whom_builds_instead():
    """A session stopped mid-build (its student moved a control) used to hand its StopException to every session
    waiting for the same key, stopping their pages too."""
    cache, started, release, outcomes = LruCache(size=4), threading.Event(), threading.Event(), []

    def stopped():
        started.set()
        release.wait(5)
        raise _Stopped

    def ask(make):
        try:
            outcomes.append(cache.get("key", make))
        except _Stopped:
            outcomes.append("stopped")

    threads = [threading.Thread(target=ask, args=(stopped,))]
    threads[0].start()
    started.wait(5)
    threads += [threading.Thread(target=ask, args=(lambda: "built by a waiter",)) for _ in range(3)]
    for thread in threads[1:]:
        thread.start()
    while not all(_waiting_on_a_future(thread) for thread in threads[1:]):  # each waits for the first build
        threading.Event().wait(0.01)
    release.set()
    for thread in threads:
        thread.join(5)
    assert sorted(outcomes) == ["built by a waiter"] * 3 + ["stopped"]
    assert cache.get("key", lambda: "again") == "built by a waiter"

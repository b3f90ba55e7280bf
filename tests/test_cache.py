import threading

from lora_viz.cache import LruCache, Slots
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
    cache, builds, waits = LruCache(size=4), [], []
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
    others = [threading.Thread(target=lambda: results.append(cache.get("key", make, waits.append))) for _ in range(5)]
    for thread in others:
        thread.start()
    while len(waits) < 5:  # every other caller reports that it waits (they block until release)
        threading.Event().wait(0.01)
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


def test_slots_run_at_most_count_jobs_at_once_and_say_when_one_queues():
    slots, running, peak, queued = Slots(2), [], [], []
    lock, release = threading.Lock(), threading.Event()

    def job():
        with lock:
            running.append(1)
            peak.append(len(running))
        release.wait(5)
        with lock:
            running.pop()

    threads = [threading.Thread(target=slots.run, args=(job, queued.append)) for _ in range(4)]
    for thread in threads:
        thread.start()
    while len(queued) < 2:  # two of the four find both slots taken
        threading.Event().wait(0.01)
    release.set()
    for thread in threads:
        thread.join(5)
    assert max(peak) == 2 and len(peak) == 4

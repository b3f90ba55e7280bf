import threading

from lora_viz.cache import LruCache
from lora_viz.summary import markdown_table


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

"""The in-process cache: bounded, least recently used out first, entries can be refused as old."""

import pytest

from lms.caching import BoundedCache

pytestmark = pytest.mark.database_independent


def test_the_least_recently_used_entry_goes_first():
    cache: BoundedCache[str] = BoundedCache(2)
    cache.put("a", "A")
    cache.put("b", "B")
    assert cache.get("a") == "A"  # now "b" is the least recently used
    cache.put("c", "C")
    assert "b" not in cache
    assert (cache.get("a"), cache.get("c")) == ("A", "C")


def test_an_entry_older_than_max_age_is_not_given_out():
    now = [100.0]
    cache: BoundedCache[str] = BoundedCache(4, clock=lambda: now[0])
    cache.put("k", "v")
    now[0] += 59
    assert cache.get("k", max_age=60) == "v"
    now[0] += 1
    assert cache.get("k", max_age=60) is None
    assert cache.get("k") == "v"  # without a limit, age does not matter
    cache.clear()
    assert cache.get("k") is None


def test_get_or_compute_keeps_a_value_for_its_age_and_recomputes_when_asked():
    now = [0.0]
    cache: BoundedCache[int] = BoundedCache(4, clock=lambda: now[0])
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert cache.get_or_compute("k", compute, 60) == 1
    assert cache.get_or_compute("k", compute, 60) == 1
    assert cache.get_or_compute("k", compute, 60, refresh=True) == 2
    now[0] += 60
    assert cache.get_or_compute("k", compute, 60) == 3
    assert cache.get_or_compute("other", compute, 0) == 4  # 0: nothing is kept
    assert cache.get("other") is None

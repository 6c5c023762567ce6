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

"""Recent: bounded, forgets the entry used longest ago (reads count as use)."""

from __future__ import annotations

from proxy.local.recent import Recent


def test_the_entry_used_longest_ago_goes_first() -> None:
    recent: Recent[str, int] = Recent(3)
    for n, key in enumerate("abc"):
        recent[key] = n
    assert recent.get("a") == 0  # a read is a use: "b" is now the oldest
    recent["d"] = 3
    assert list(recent) == ["c", "a", "d"]
    recent["c"] = 9  # a write is a use too
    recent["e"] = 4
    assert list(recent.items()) == [("d", 3), ("c", 9), ("e", 4)]


def test_misses_defaults_and_the_dict_methods_keep_the_bound() -> None:
    recent: Recent[int, str] = Recent(2)
    assert recent.get(1) is None
    assert recent.get(1, "none") == "none"
    assert recent.setdefault(1, "one") == "one"
    assert recent.setdefault(1, "uno") == "one"
    recent[2] = "two"
    recent.setdefault(3, "three")
    assert list(recent) == [2, 3]
    assert recent.pop(2, None) == "two"
    assert len(recent) == 1

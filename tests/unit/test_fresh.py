"""What a replica may answer from memory: only what no change overtook, only while the
change feed is live."""

from __future__ import annotations

from proxy.store.postgres.fresh import Fresh


def live() -> Fresh[int, str]:
    fresh: Fresh[int, str] = Fresh(100)
    fresh.resumed()
    return fresh


def test_nothing_is_trusted_before_the_feed_listens() -> None:
    fresh: Fresh[int, str] = Fresh(100)
    fresh.offer(1, "read", fresh.ticket())
    assert fresh.get(1) is None


def test_a_read_is_kept_and_a_change_drops_it() -> None:
    fresh = live()
    fresh.offer(1, "v1", fresh.ticket())
    assert fresh.get(1) == "v1"
    fresh.changed(1)
    assert fresh.get(1) is None


def test_a_read_overtaken_by_a_change_of_its_key_is_not_kept() -> None:
    fresh = live()
    ticket = fresh.ticket()  # the read leaves with the old row...
    fresh.changed(1)  # ...a replica commits a change and it is heard...
    fresh.offer(1, "old", ticket)  # ...then the read returns
    assert fresh.get(1) is None
    fresh.offer(1, "new", fresh.ticket())  # the next read is kept
    assert fresh.get(1) == "new"


def test_a_change_of_another_key_does_not_spoil_a_read() -> None:
    fresh = live()
    ticket = fresh.ticket()
    fresh.changed(2)
    fresh.offer(1, "v1", ticket)
    assert fresh.get(1) == "v1"


def test_losing_the_feed_forgets_everything_and_refuses_reads_from_before_it_returned() -> None:
    fresh = live()
    fresh.offer(1, "v1", fresh.ticket())
    before = fresh.ticket()
    fresh.lost()
    assert fresh.get(1) is None
    fresh.offer(2, "while lost", fresh.ticket())
    fresh.resumed()
    assert fresh.get(2) is None
    fresh.offer(3, "left before the feed returned", before)
    assert fresh.get(3) is None
    fresh.offer(3, "v3", fresh.ticket())
    assert fresh.get(3) == "v3"


def test_it_is_bounded() -> None:
    fresh: Fresh[int, str] = Fresh(3)
    fresh.resumed()
    for key in range(5):
        fresh.offer(key, str(key), fresh.ticket())
    assert len(fresh) == 3 and fresh.get(0) is None and fresh.get(4) == "4"

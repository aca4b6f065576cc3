"""The SQLite store on a real file: counters kept by the database, reads that stay current
while SQLite works in its own thread, and files made before the counters existed."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from proxy.domain import ActivationStatus, Purchase, PurchaseState
from proxy.store.sqlite import SqliteStore

from .test_store_contract import activation

S = ActivationStatus


async def test_counts_follow_every_write(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    first = await store.activations.add(activation())
    await store.activations.add(activation(upstream_id=2))
    await store.activations.add(activation(owner="owner-b", upstream_id=3))
    await store.activations.put(first.evolve(status=S.CODE_RECEIVED, code="1234"))
    # the same status again
    await store.activations.put(first.evolve(status=S.CODE_RECEIVED, code="5678"))
    assert await store.activations.counts() == {"waiting": 2, "code_received": 1}
    assert (await store.activations.history("owner-a", 1, 0, True))[1] == 2
    assert (await store.activations.history("owner-c", 1, 0, True)) == ([], 0)
    entry = await store.journal.add(Purchase(0, "owner-a", "getatext", "rent", ("wa",), "k", 1.0))
    await store.journal.put(entry.evolve(state=PurchaseState.BOUGHT))
    await store.journal.add(Purchase(0, "owner-a", "getatext", "rent", ("wa",), "k", 2.0))
    assert await store.journal.counts() == {"bought": 1, "pending": 1}
    await store.close()


async def test_a_file_from_before_the_counters_is_counted_once(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = SqliteStore(path)
    stored = await store.activations.add(activation())
    await store.activations.put(stored.evolve(status=S.CANCELLED))
    await store.activations.add(activation(upstream_id=2))
    await store.close()
    with sqlite3.connect(path) as db:  # the file as an older version left it
        for name in ("activation_counts", "owner_totals", "purchase_counts"):
            db.execute(f"DROP TABLE {name}")
        for trigger in ("activation_added", "activation_moved", "purchase_added"):
            db.execute(f"DROP TRIGGER {trigger}")
        db.execute("DROP TRIGGER purchase_moved")
    reopened = SqliteStore(path)
    assert await reopened.activations.counts() == {"cancelled": 1, "waiting": 1}
    assert (await reopened.activations.history("owner-a", 10, 0, False))[1] == 2
    await reopened.activations.add(activation(upstream_id=3))
    assert await reopened.activations.counts() == {"cancelled": 1, "waiting": 2}
    await reopened.close()


async def test_reads_under_way_never_hide_a_later_write(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = SqliteStore(path)
    stored = await store.activations.add(activation())
    await store.close()
    store = SqliteStore(path)  # nothing in memory: reads go to the file
    updated = stored.evolve(status=S.CODE_RECEIVED, code="4321")
    reads = [asyncio.ensure_future(store.activations.get(stored.id)) for _ in range(5)]
    await asyncio.sleep(0)  # a yield, not a delay: the reads are now queued at SQLite
    await store.activations.put(updated)
    assert {a.status for a in await asyncio.gather(*reads) if a} == {S.WAITING}  # read before
    assert await store.activations.get(stored.id) == updated
    assert await store.activations.open_for("owner-a") == [updated]
    assert await store.activations.by_upstream("getatext", 1) == updated
    await store.close()
    durable = SqliteStore(path)
    assert await durable.activations.get(stored.id) == updated  # it was on disk, not only in memory
    await durable.close()

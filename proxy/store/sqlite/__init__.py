"""The default store: one SQLite file in WAL mode, one module per aggregate.

Each write is committed before the call returns, so an activation is on disk before the
client sees its id; WAL with synchronous=NORMAL survives a killed process (the data is in
the OS) and loses at most the last commits on power loss, which FULL would also cover at
a latency cost (configurable).

SQLite runs in one worker thread of its own, in the order the calls were made, so a
query or a WAL checkpoint never stalls the event loop. The activations written or read
lately are also kept in memory (this process owns the file), so a status poll answered
from state costs no query at all. Counts per status, per journal state and per owner
are kept by triggers, so /metrics, /readyz and history do not count rows.
"""

from __future__ import annotations

from pathlib import Path

from proxy.store.sqlite.activations import SqliteActivations
from proxy.store.sqlite.db import SqliteDb
from proxy.store.sqlite.journal import SqliteJournal
from proxy.store.sqlite.ledger import SqliteLedger
from proxy.store.sqlite.long_rentals import SqliteLongRentals
from proxy.store.sqlite.outbox import SqliteOutbox
from proxy.store.sqlite.tenants import SqliteTenants


class SqliteStore:
    """The unit of work over one file."""

    def __init__(self, path: Path, *, first_id: int = 100_000, synchronous: str = "NORMAL"):
        self._db = SqliteDb(path, first_id=first_id, synchronous=synchronous)
        self.activations = SqliteActivations(self._db)
        self.journal = SqliteJournal(self._db)
        self.ledger = SqliteLedger(self._db)
        self.outbox = SqliteOutbox(self._db)
        self.long_rentals = SqliteLongRentals(self._db)
        self.tenants = SqliteTenants(self._db)

    async def close(self) -> None:
        await self._db.close()

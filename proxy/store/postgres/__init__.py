"""The shared store: PostgreSQL through an asyncpg pool, for several replicas at once.

Every write commits before the call returns. Where two replicas could race, the
database decides: ids come from sequences, an order reference is a primary key, and a
budget hold takes a transaction-scoped advisory lock on its tenant before it checks and
writes (the same lock in every replica, so two holds never both fit). The schema is
versioned (`store.pg_schema`) and migrated at start under an advisory lock (`smsproxy
migrate` does the same on its own).

A purchase that stayed pending longer than any purchase can take belonged to a replica
that died: it is marked unknown (at start and then every minute), and reconciled as any
unknown purchase.

When PostgreSQL cannot be reached the store raises `StoreUnavailable`: a purchase is
refused in its protocol (nothing leaves without a durable journal entry), and reads of
activations this process has seen lately are answered from memory.
"""

from __future__ import annotations

from collections.abc import Callable

from proxy.store.postgres.activations import PgActivations
from proxy.store.postgres.changes import ChangeFeed
from proxy.store.postgres.db import PgDb
from proxy.store.postgres.journal import PgJournal
from proxy.store.postgres.ledger import PgLedger
from proxy.store.postgres.long_rentals import PgLongRentals
from proxy.store.postgres.outbox import PgOutbox
from proxy.store.postgres.tenants import PgTenants


class PostgresStore:
    """The unit of work over one database (a schema of it)."""

    def __init__(
        self, dsn: str, *, schema: str | None = None, first_id: int = 100_000, pool_size: int = 10
    ) -> None:
        self._db = PgDb(dsn, schema=schema, first_id=first_id, pool_size=pool_size)
        self.activations = PgActivations(self._db)
        self.journal = PgJournal(self._db)
        self.ledger = PgLedger(self._db)
        self.outbox = PgOutbox(self._db)
        self.long_rentals = PgLongRentals(self._db)
        self.tenants = PgTenants(self._db)
        fresh = self.activations.fresh
        self.changes = ChangeFeed(self._db, fresh.changed, fresh.lost, fresh.resumed)

    async def follow_changes(self, keys_changed: Callable[[], None] | None = None) -> None:
        """Hear every replica's changes of activations, so that reads are answered from
        memory while the feed is live, and of issued keys and policies
        (`keys_changed`); runs until cancelled."""
        if keys_changed is not None:
            self.changes.keys_changed = keys_changed
        await self.changes.follow()

    async def mark_stale(self) -> None:
        """Pending purchases of replicas that died become unknown (reconciled later)."""
        await self._db.mark_stale()

    async def close(self) -> None:
        await self._db.close()

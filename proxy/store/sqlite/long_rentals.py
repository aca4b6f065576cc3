"""SQLite: long rentals."""

from __future__ import annotations

from proxy.domain import (
    LongRental,
)
from proxy.store.rows import (
    LONG_COLUMNS,
    long_from,
    long_row,
)
from proxy.store.sqlite.db import SqliteDb


class SqliteLongRentals:
    """Long rentals."""

    def __init__(self, db: SqliteDb) -> None:
        self._db = db

    async def add(self, rental: LongRental) -> LongRental:
        row_id = await self._db.insert("long_rentals", LONG_COLUMNS, long_row(rental))
        return rental.evolve(id=row_id)

    async def get(self, rental_id: int) -> LongRental | None:
        rows = await self._db.query("SELECT * FROM long_rentals WHERE id=?", rental_id)
        return long_from(rows[0]) if rows else None

    async def put(self, rental: LongRental) -> None:
        await self._db.update("long_rentals", LONG_COLUMNS, long_row(rental), rental.id)

    async def for_owner(self, owner: str) -> list[LongRental]:
        rows = await self._db.query(
            "SELECT * FROM long_rentals WHERE owner=? ORDER BY id DESC", owner
        )
        return [long_from(r) for r in rows]

    async def by_upstream(self, provider: str, upstream_id: int) -> LongRental | None:
        rows = await self._db.query(
            "SELECT * FROM long_rentals WHERE provider=? AND upstream_id=? ORDER BY id DESC "
            "LIMIT 1",
            provider,
            upstream_id,
        )
        return long_from(rows[0]) if rows else None

    async def counts(self) -> dict[str, int]:
        rows = await self._db.query("SELECT state, COUNT(*) FROM long_rentals GROUP BY state")
        return {str(r[0]): int(r[1]) for r in rows}

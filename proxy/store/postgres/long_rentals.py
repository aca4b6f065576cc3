"""PostgreSQL: long rentals."""

from __future__ import annotations

from proxy.domain import (
    LongRental,
)
from proxy.store.postgres.db import PgDb, insert_sql, update_sql
from proxy.store.rows import (
    LONG_COLUMNS,
    long_from,
    long_row,
)


class PgLongRentals:
    """Long rentals."""

    def __init__(self, db: PgDb) -> None:
        self._db = db

    async def add(self, rental: LongRental) -> LongRental:
        sql = insert_sql("long_rentals", LONG_COLUMNS) + " RETURNING id"
        async with self._db.conn() as conn:
            new_id = await conn.fetchval(sql, *long_row(rental))
        return rental.evolve(id=int(new_id))

    async def get(self, rental_id: int) -> LongRental | None:
        rows = await self._db.fetch("SELECT * FROM long_rentals WHERE id=$1", rental_id)
        return long_from(rows[0]) if rows else None

    async def put(self, rental: LongRental) -> None:
        sql = update_sql("long_rentals", LONG_COLUMNS)
        await self._db.execute(sql, *long_row(rental), rental.id)

    async def for_owner(self, owner: str) -> list[LongRental]:
        rows = await self._db.fetch(
            "SELECT * FROM long_rentals WHERE owner=$1 ORDER BY id DESC", owner
        )
        return [long_from(r) for r in rows]

    async def by_upstream(self, provider: str, upstream_id: int) -> LongRental | None:
        rows = await self._db.fetch(
            "SELECT * FROM long_rentals WHERE provider=$1 AND upstream_id=$2 ORDER BY id DESC "
            "LIMIT 1",
            provider,
            upstream_id,
        )
        return long_from(rows[0]) if rows else None

    async def counts(self) -> dict[str, int]:
        rows = await self._db.fetch("SELECT state, COUNT(*) FROM long_rentals GROUP BY state")
        return {str(r[0]): int(r[1]) for r in rows}

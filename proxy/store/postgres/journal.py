"""PostgreSQL: the purchase journal."""

from __future__ import annotations

from proxy.domain import (
    Purchase,
    PurchaseState,
)
from proxy.store.postgres.db import PgDb, insert_sql, update_sql
from proxy.store.rows import (
    PURCHASE_COLUMNS,
    purchase_from,
    purchase_row,
)


class PgJournal:
    """The purchase journal."""

    def __init__(self, db: PgDb) -> None:
        self._db = db

    async def add(self, purchase: Purchase) -> Purchase:
        sql = insert_sql("purchases", PURCHASE_COLUMNS) + " RETURNING id"
        async with self._db.conn() as conn:
            new_id = await conn.fetchval(sql, *purchase_row(purchase))
        return purchase.evolve(id=int(new_id))

    async def put(self, purchase: Purchase) -> None:
        await self._db.execute(
            update_sql("purchases", PURCHASE_COLUMNS), *purchase_row(purchase), purchase.id
        )

    async def get(self, purchase_id: int) -> Purchase | None:
        rows = await self._db.fetch("SELECT * FROM purchases WHERE id=$1", purchase_id)
        return purchase_from(rows[0]) if rows else None

    async def newest(
        self, state: PurchaseState | None = None, owner: str | None = None, limit: int = 100
    ) -> list[Purchase]:
        rows = await self._db.fetch(
            "SELECT * FROM purchases WHERE ($1::text IS NULL OR state=$1) "
            "AND ($2::text IS NULL OR owner=$2) ORDER BY id DESC LIMIT $3",
            None if state is None else state.value,
            owner,
            limit,
        )
        return [purchase_from(r) for r in rows]

    async def counts(self) -> dict[str, int]:
        return await self._db.state_counts("purchases")

    async def max_upstream_id(self, provider: str) -> int:
        async with self._db.conn() as conn:
            found = await conn.fetchval(
                "SELECT MAX(upstream_id) FROM activations WHERE provider=$1", provider
            )
        return int(found or 0)

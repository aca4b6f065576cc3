"""PostgreSQL: the webhook outbox."""

from __future__ import annotations

from proxy.domain import (
    Delivery,
)
from proxy.store.postgres.db import PgDb, insert_sql, update_sql
from proxy.store.rows import (
    OUTBOX_COLUMNS,
    delivery_from,
    outbox_row,
)


class PgOutbox:
    """The webhook outbox."""

    def __init__(self, db: PgDb) -> None:
        self._db = db

    async def add(self, delivery: Delivery, bound: int) -> tuple[Delivery | None, int]:
        async with self._db.conn() as conn, conn.transaction():
            new_id = await conn.fetchval(
                insert_sql("outbox", OUTBOX_COLUMNS)
                + " ON CONFLICT (activation_id, code) DO NOTHING RETURNING id",
                *outbox_row(delivery),
            )
            if new_id is None:
                return None, 0
            status = await conn.execute(
                "UPDATE outbox SET state='failed', last_error='outbox full' WHERE id IN "
                "(SELECT id FROM outbox WHERE tenant=$1 AND state='pending' "
                "ORDER BY id DESC OFFSET $2)",
                delivery.tenant,
                bound,
            )
        return delivery.evolve(id=int(new_id)), self._db.changed(status)

    async def due(self, now: float, limit: int) -> list[Delivery]:
        rows = await self._db.fetch(
            "SELECT * FROM outbox WHERE state='pending' AND next_at<=$1 ORDER BY next_at, id "
            "LIMIT $2",
            now,
            limit,
        )
        return [delivery_from(r) for r in rows]

    async def put(self, delivery: Delivery) -> None:
        await self._db.execute(
            update_sql("outbox", OUTBOX_COLUMNS), *outbox_row(delivery), delivery.id
        )

    async def newest(self, tenant: str | None = None, limit: int = 100) -> list[Delivery]:
        rows = await self._db.fetch(
            "SELECT * FROM outbox WHERE ($1::text IS NULL OR tenant=$1) ORDER BY id DESC LIMIT $2",
            tenant,
            limit,
        )
        return [delivery_from(r) for r in rows]

    async def counts(self) -> dict[str, int]:
        rows = await self._db.fetch("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state")
        return {r["state"]: int(r["n"]) for r in rows}

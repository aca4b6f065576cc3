"""SQLite: the webhook outbox."""

from __future__ import annotations

from proxy.domain import (
    Delivery,
)
from proxy.store.rows import (
    OUTBOX_COLUMNS,
    delivery_from,
    outbox_row,
)
from proxy.store.sqlite.db import SqliteDb


class SqliteOutbox:
    """The webhook outbox."""

    def __init__(self, db: SqliteDb) -> None:
        self._db = db

    async def add(self, delivery: Delivery, bound: int) -> tuple[Delivery | None, int]:
        def add() -> tuple[Delivery | None, int]:
            self._db.conn.execute("BEGIN IMMEDIATE")
            try:
                cursor = self._db.conn.execute(
                    f"INSERT OR IGNORE INTO outbox ({','.join(OUTBOX_COLUMNS)}) "
                    f"VALUES ({','.join('?' * len(OUTBOX_COLUMNS))})",
                    outbox_row(delivery),
                )
                if not cursor.rowcount:
                    self._db.conn.execute("COMMIT")
                    return None, 0
                added = delivery.evolve(id=cursor.lastrowid)
                dropped = self._db.conn.execute(
                    "UPDATE outbox SET state='failed', last_error='outbox full' WHERE id IN "
                    "(SELECT id FROM outbox WHERE tenant=? AND state='pending' "
                    "ORDER BY id DESC LIMIT -1 OFFSET ?)",
                    (delivery.tenant, bound),
                ).rowcount
                self._db.conn.execute("COMMIT")
                return added, dropped
            except BaseException:
                self._db.conn.execute("ROLLBACK")
                raise

        return await self._db.run(add)

    async def due(self, now: float, limit: int) -> list[Delivery]:
        rows = await self._db.query(
            "SELECT * FROM outbox WHERE state='pending' AND next_at<=? ORDER BY next_at, id "
            "LIMIT ?",
            now,
            limit,
        )
        return [delivery_from(r) for r in rows]

    async def put(self, delivery: Delivery) -> None:
        await self._db.update("outbox", OUTBOX_COLUMNS, outbox_row(delivery), delivery.id)

    async def newest(self, tenant: str | None = None, limit: int = 100) -> list[Delivery]:
        clause, args = ("WHERE tenant=?", [tenant]) if tenant is not None else ("", [])
        rows = await self._db.query(
            f"SELECT * FROM outbox {clause} ORDER BY id DESC LIMIT ?", *args, limit
        )
        return [delivery_from(r) for r in rows]

    async def counts(self) -> dict[str, int]:
        rows = await self._db.query("SELECT state, COUNT(*) FROM outbox GROUP BY state")
        return {state: n for state, n in rows}

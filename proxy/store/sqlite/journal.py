"""SQLite: the purchase journal."""

from __future__ import annotations

from proxy.domain import (
    Purchase,
    PurchaseState,
)
from proxy.store.rows import (
    PURCHASE_COLUMNS,
    purchase_from,
    purchase_row,
)
from proxy.store.sqlite.db import SqliteDb


class SqliteJournal:
    """The purchase journal."""

    def __init__(self, db: SqliteDb) -> None:
        self._db = db

    async def add(self, purchase: Purchase) -> Purchase:
        row = purchase_row(purchase)
        return purchase.evolve(id=await self._db.insert("purchases", PURCHASE_COLUMNS, row))

    async def put(self, purchase: Purchase) -> None:
        await self._db.update("purchases", PURCHASE_COLUMNS, purchase_row(purchase), purchase.id)

    async def get(self, purchase_id: int) -> Purchase | None:
        rows = await self._db.query("SELECT * FROM purchases WHERE id=?", purchase_id)
        return purchase_from(rows[0]) if rows else None

    async def newest(
        self, state: PurchaseState | None = None, owner: str | None = None, limit: int = 100
    ) -> list[Purchase]:
        where, args = [], []
        if state is not None:
            where.append("state=?")
            args.append(state.value)
        if owner is not None:
            where.append("owner=?")
            args.append(owner)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = await self._db.query(
            f"SELECT * FROM purchases {clause} ORDER BY id DESC LIMIT ?", *args, limit
        )
        return [purchase_from(r) for r in rows]

    async def counts(self) -> dict[str, int]:
        rows = await self._db.query("SELECT state, n FROM purchase_counts WHERE n > 0")
        return {state: n for state, n in rows}

    async def max_upstream_id(self, provider: str) -> int:
        rows = await self._db.query(
            "SELECT MAX(upstream_id) FROM activations WHERE provider=?", provider
        )
        return int(rows[0][0] or 0)

"""PostgreSQL: activations and, per owner, order references and max prices."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import asyncpg

from proxy.domain import (
    Activation,
)
from proxy.errors import StoreUnavailable
from proxy.local.recent import Recent
from proxy.store.postgres.db import PgDb, insert_sql, marks, update_sql
from proxy.store.postgres.fresh import Fresh
from proxy.store.rows import (
    COLUMNS,
    OPEN,
    activation_from,
    activation_row,
)

RECENT_ACTIVATIONS = 50_000


class PgActivations:
    """Activations and, per owner, order references and max prices."""

    def __init__(self, db: PgDb) -> None:
        self._db = db
        self._recent: Recent[int, Activation] = Recent(RECENT_ACTIVATIONS)
        # answered from memory while the change feed is live (`store.postgres.changes`)
        self.fresh: Fresh[int, Activation] = Fresh(RECENT_ACTIVATIONS)

    def _remember(self, rows: Sequence[asyncpg.Record], ticket: int) -> list[Activation]:
        found = [activation_from(r) for r in rows]
        for activation in found:
            self._recent[activation.id] = activation
            self.fresh.offer(activation.id, activation, ticket)
        return found

    async def add(self, activation: Activation) -> Activation:
        sql = insert_sql("activations", COLUMNS) + " RETURNING id"
        ticket = self.fresh.ticket()
        async with self._db.conn() as conn:
            new_id = await conn.fetchval(sql, *activation_row(activation))
        stored = activation.evolve(id=int(new_id))
        self._recent[stored.id] = stored
        self.fresh.offer(stored.id, stored, ticket)
        return stored

    def peek(self, activation_id: int) -> Activation | None:
        return self.fresh.get(activation_id)

    async def get(self, activation_id: int) -> Activation | None:
        ticket = self.fresh.ticket()
        try:
            rows = await self._db.fetch("SELECT * FROM activations WHERE id=$1", activation_id)
        except StoreUnavailable:
            known = self._recent.get(activation_id)
            if known is None:
                raise
            return known  # what this process saw last: reads go on while PostgreSQL is away
        return self._remember(rows, ticket)[0] if rows else None

    async def put(self, activation: Activation) -> None:
        await self._db.execute(
            update_sql("activations", COLUMNS), *activation_row(activation), activation.id
        )
        # two writes of one activation here may finish in either order: the next read
        # asks the database rather than trust the last one to return
        self.fresh.changed(activation.id)
        self._recent[activation.id] = activation

    async def open_for(self, owner: str) -> list[Activation]:
        rows = await self._db.fetch(
            f"SELECT * FROM activations WHERE owner=$1 AND status IN ({marks(len(OPEN), 2)}) "
            "ORDER BY id",
            owner,
            *OPEN,
        )
        return self._remember(rows, -1)

    async def open_ended(
        self, owners: Sequence[str], before: float, limit: int
    ) -> list[Activation]:
        if not owners:
            return []
        rows = await self._db.fetch(
            "SELECT * FROM activations WHERE owner = ANY($1::text[]) AND status = ANY($2::text[]) "
            "AND end_time <= $3 ORDER BY end_time LIMIT $4",
            list(owners),
            list(OPEN),
            before,
            limit,
        )
        return self._remember(rows, -1)

    async def by_upstream(self, provider: str, upstream_id: int) -> Activation | None:
        rows = await self._db.fetch(
            "SELECT * FROM activations WHERE provider=$1 AND upstream_id=$2 "
            "ORDER BY id DESC LIMIT 1",
            provider,
            upstream_id,
        )
        return self._remember(rows, -1)[0] if rows else None

    async def counts(self) -> dict[str, int]:
        return await self._db.state_counts("activations")

    async def history(
        self, owner: str, limit: int, offset: int, newest_first: bool
    ) -> tuple[list[Activation], int]:
        direction = "DESC" if newest_first else "ASC"
        async with self._db.conn() as conn:
            rows = await conn.fetch(
                f"SELECT * FROM activations WHERE owner=$1 ORDER BY id {direction} "
                "LIMIT $2 OFFSET $3",
                owner,
                limit,
                offset,
            )
            total = await conn.fetchval("SELECT COUNT(*) FROM activations WHERE owner=$1", owner)
        return self._remember(rows, -1), int(total)

    async def last_on_number(self, owner: str, number: str, service: str) -> Activation | None:
        rows = await self._db.fetch(
            "SELECT * FROM activations WHERE owner=$1 AND number=$2 AND service=$3 "
            "ORDER BY id DESC LIMIT 1",
            owner,
            number,
            service,
        )
        return self._remember(rows, -1)[0] if rows else None

    async def claim_order_ref(self, owner: str, ref: str) -> bool:
        status = await self._db.execute(
            "INSERT INTO order_refs (owner, ref) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            owner,
            ref,
        )
        return self._db.changed(status) == 1

    async def release_order_ref(self, owner: str, ref: str) -> None:
        await self._db.execute("DELETE FROM order_refs WHERE owner=$1 AND ref=$2", owner, ref)

    async def max_prices(self, owner: str) -> dict[str, Decimal]:
        rows = await self._db.fetch("SELECT service, price FROM max_prices WHERE owner=$1", owner)
        return {r["service"]: Decimal(r["price"]) for r in rows}

    async def set_max_price(self, owner: str, service: str, price: Decimal) -> None:
        await self._db.execute(
            "INSERT INTO max_prices (owner, service, price) VALUES ($1, $2, $3) "
            "ON CONFLICT (owner, service) DO UPDATE SET price = EXCLUDED.price",
            owner,
            service,
            str(price),
        )

    async def delete_max_price(self, owner: str, service: str) -> bool:
        status = await self._db.execute(
            "DELETE FROM max_prices WHERE owner=$1 AND service=$2", owner, service
        )
        return self._db.changed(status) > 0

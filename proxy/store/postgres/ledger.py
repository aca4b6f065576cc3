"""PostgreSQL: the ledger; a hold takes an advisory lock on its tenant, then checks and
writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from proxy.domain import (
    LedgerEntry,
)
from proxy.store.postgres.db import PgDb, insert_sql
from proxy.store.rows import (
    LEDGER_COLUMNS,
    from_micros,
    ledger_entry_from,
    ledger_row,
    micros,
)


class PgLedger:
    """The ledger: a hold takes an advisory lock on its tenant before it checks and writes."""

    _SPENT = (
        "SELECT COALESCE(SUM(micros), 0) FROM ledger WHERE tenant=$1 AND at>=$2 "
        "AND reason IN ('charge', 'refund', 'adjust')"
    )
    _HELD = "SELECT COALESCE(SUM(micros), 0) FROM budget_holds WHERE tenant=$1 AND at>=$2"
    _APPEND = (
        insert_sql("ledger", LEDGER_COLUMNS)
        + " ON CONFLICT (activation_id, reason) WHERE activation_id IS NOT NULL "
        "AND reason IN ('charge', 'refund') DO NOTHING"
    )

    def __init__(self, db: PgDb) -> None:
        self._db = db

    async def hold(
        self, entry: LedgerEntry, limits: Sequence[tuple[float, Decimal]], lapse_before: float
    ) -> bool:
        wanted = micros(entry.amount)
        async with self._db.conn() as conn, conn.transaction():
            # every replica takes the same lock for the tenant: check and write as one
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", entry.tenant)
            held = int(await conn.fetchval(self._HELD, entry.tenant, lapse_before))
            for since, limit in limits:
                spent = int(await conn.fetchval(self._SPENT, entry.tenant, since))
                if spent + held + wanted > micros(limit):
                    return False
            await conn.execute(
                "INSERT INTO budget_holds (purchase_id, tenant, micros, at) VALUES ($1,$2,$3,$4)",
                entry.purchase_id,
                entry.tenant,
                wanted,
                entry.at,
            )
            await conn.execute(self._APPEND, *ledger_row(entry))
        return True

    async def release(self, template: LedgerEntry) -> bool:
        async with self._db.conn() as conn, conn.transaction():
            found = await conn.fetchval(
                "DELETE FROM budget_holds WHERE purchase_id=$1 RETURNING micros",
                template.purchase_id,
            )
            if found is None:
                return False
            released = replace(template, amount=-from_micros(int(found)))
            await conn.execute(self._APPEND, *ledger_row(released))
        return True

    async def add(self, entry: LedgerEntry) -> bool:
        return self._db.changed(await self._db.execute(self._APPEND, *ledger_row(entry))) == 1

    async def hold_of(self, purchase_id: int) -> LedgerEntry | None:
        rows = await self._db.fetch(
            "SELECT * FROM ledger WHERE purchase_id=$1 AND reason='reserve'", purchase_id
        )
        return ledger_entry_from(rows[0]) if rows else None

    async def charge_of(self, activation_id: int) -> LedgerEntry | None:
        rows = await self._db.fetch(
            "SELECT * FROM ledger WHERE activation_id=$1 AND reason='charge'", activation_id
        )
        return ledger_entry_from(rows[0]) if rows else None

    async def entries(
        self, tenant: str | None = None, since: float | None = None, limit: int = 100_000
    ) -> list[LedgerEntry]:
        rows = await self._db.fetch(
            "SELECT * FROM ledger WHERE ($1::text IS NULL OR tenant=$1) "
            "AND ($2::float8 IS NULL OR at>=$2) ORDER BY id LIMIT $3",
            tenant,
            since,
            limit,
        )
        return [ledger_entry_from(r) for r in rows]

    async def spent(self, tenant: str, since: float) -> Decimal:
        async with self._db.conn() as conn:
            return from_micros(int(await conn.fetchval(self._SPENT, tenant, since)))

    async def held(self, tenant: str, lapse_before: float) -> Decimal:
        async with self._db.conn() as conn:
            return from_micros(int(await conn.fetchval(self._HELD, tenant, lapse_before)))

"""SQLite: the ledger: a hold is checked and written in one IMMEDIATE transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from proxy.domain import (
    LedgerEntry,
)
from proxy.store.rows import (
    LEDGER_COLUMNS,
    from_micros,
    ledger_entry_from,
    ledger_row,
    micros,
)
from proxy.store.sqlite.db import SqliteDb


class SqliteLedger:
    """The ledger: a hold is checked and written in one IMMEDIATE transaction."""

    def __init__(self, db: SqliteDb) -> None:
        self._db = db

    def _append(self, entry: LedgerEntry) -> int:
        """Rows written: 0 when the activation's charge or refund is there already."""
        cursor = self._db.conn.execute(
            f"INSERT OR IGNORE INTO ledger ({','.join(LEDGER_COLUMNS)}) "
            f"VALUES ({','.join('?' * len(LEDGER_COLUMNS))})",
            ledger_row(entry),
        )
        return cursor.rowcount

    def _held(self, tenant: str, lapse_before: float) -> int:
        row = self._db.conn.execute(
            "SELECT COALESCE(SUM(micros), 0) FROM budget_holds WHERE tenant=? AND at>=?",
            (tenant, lapse_before),
        ).fetchone()
        return int(row[0])

    def _spent(self, tenant: str, since: float) -> int:
        row = self._db.conn.execute(
            "SELECT COALESCE(SUM(micros), 0) FROM ledger WHERE tenant=? AND at>=? "
            "AND reason IN ('charge', 'refund', 'adjust')",
            (tenant, since),
        ).fetchone()
        return int(row[0])

    async def hold(
        self, entry: LedgerEntry, limits: Sequence[tuple[float, Decimal]], lapse_before: float
    ) -> bool:
        wanted = micros(entry.amount)

        def hold() -> bool:
            # IMMEDIATE: another process on the same file waits, so two holds never both fit
            self._db.conn.execute("BEGIN IMMEDIATE")
            try:
                held = self._held(entry.tenant, lapse_before)
                for since, limit in limits:
                    if self._spent(entry.tenant, since) + held + wanted > micros(limit):
                        self._db.conn.execute("ROLLBACK")
                        return False
                self._db.conn.execute(
                    "INSERT INTO budget_holds VALUES (?, ?, ?, ?)",
                    (entry.purchase_id, entry.tenant, wanted, entry.at),
                )
                self._append(entry)
                self._db.conn.execute("COMMIT")
                return True
            except BaseException:
                self._db.conn.execute("ROLLBACK")
                raise

        return await self._db.run(hold)

    async def release(self, template: LedgerEntry) -> bool:
        def release() -> bool:
            self._db.conn.execute("BEGIN IMMEDIATE")
            try:
                found = self._db.conn.execute(
                    "SELECT micros FROM budget_holds WHERE purchase_id=?", (template.purchase_id,)
                ).fetchone()
                if found is None:
                    self._db.conn.execute("COMMIT")
                    return False
                self._db.conn.execute(
                    "DELETE FROM budget_holds WHERE purchase_id=?", (template.purchase_id,)
                )
                self._append(replace(template, amount=-from_micros(found[0])))
                self._db.conn.execute("COMMIT")
                return True
            except BaseException:
                self._db.conn.execute("ROLLBACK")
                raise

        return await self._db.run(release)

    async def add(self, entry: LedgerEntry) -> bool:
        return bool(await self._db.run(lambda: self._append(entry)))

    async def hold_of(self, purchase_id: int) -> LedgerEntry | None:
        rows = await self._db.query(
            "SELECT * FROM ledger WHERE purchase_id=? AND reason='reserve'", purchase_id
        )
        return ledger_entry_from(rows[0]) if rows else None

    async def charge_of(self, activation_id: int) -> LedgerEntry | None:
        rows = await self._db.query(
            "SELECT * FROM ledger WHERE activation_id=? AND reason='charge'", activation_id
        )
        return ledger_entry_from(rows[0]) if rows else None

    async def entries(
        self, tenant: str | None = None, since: float | None = None, limit: int = 100_000
    ) -> list[LedgerEntry]:
        where = ["at>=?"]
        args: list[object] = [since if since is not None else float("-inf")]
        if tenant is not None:
            where.append("tenant=?")
            args.append(tenant)
        rows = await self._db.query(
            f"SELECT * FROM ledger WHERE {' AND '.join(where)} ORDER BY id LIMIT ?", *args, limit
        )
        return [ledger_entry_from(r) for r in rows]

    async def spent(self, tenant: str, since: float) -> Decimal:
        return from_micros(await self._db.run(lambda: self._spent(tenant, since)))

    async def held(self, tenant: str, lapse_before: float) -> Decimal:
        return from_micros(await self._db.run(lambda: self._held(tenant, lapse_before)))

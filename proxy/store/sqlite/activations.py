"""SQLite: activations and, per owner, order references and max prices."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from decimal import Decimal

from proxy.domain import (
    Activation,
)
from proxy.local.recent import Recent
from proxy.store.rows import (
    COLUMNS,
    OPEN,
    activation_from,
    activation_row,
)
from proxy.store.sqlite.db import SqliteDb

RECENT_ACTIVATIONS = 50_000  # kept in memory: far more than a fleet has open at once


class SqliteActivations:
    """Activations and, per owner, order references and max prices. The activations written
    or read lately are kept in memory (this process owns the file), so a status poll
    answered from state costs no query at all."""

    def __init__(self, db: SqliteDb) -> None:
        self._db = db
        self._recent: Recent[int, Activation] = Recent(RECENT_ACTIVATIONS)

    def _fresh(self, rows: list[sqlite3.Row]) -> list[Activation]:
        """Rows as activations, the in-memory one where it is newer than the read."""
        read = self._remember(rows)
        return [self._recent.get(a.id, a) for a in read]

    def _remember(self, rows: list[sqlite3.Row]) -> list[Activation]:
        found = [activation_from(r) for r in rows]
        for activation in found:
            # a write made while this read was under way is newer: it stays
            self._recent.setdefault(activation.id, activation)
        return found

    async def add(self, activation: Activation) -> Activation:
        stored = activation.evolve(
            id=await self._db.insert("activations", COLUMNS, activation_row(activation))
        )
        self._recent[stored.id] = stored
        return stored

    def peek(self, activation_id: int) -> Activation | None:
        """The row as this process last wrote or read it (the file is this process's
        alone), or None when only the file has it."""
        return self._recent.get(activation_id)

    async def get(self, activation_id: int) -> Activation | None:
        known = self._recent.get(activation_id)
        if known is not None:
            return known
        rows = await self._db.query("SELECT * FROM activations WHERE id=?", activation_id)
        return self._remember(rows)[0] if rows else None

    async def put(self, activation: Activation) -> None:
        self._recent[activation.id] = activation  # the newest intent, for reads under way
        try:
            await self._db.update("activations", COLUMNS, activation_row(activation), activation.id)
        except BaseException:
            self._recent.pop(activation.id, None)  # not known to be on disk: read it again
            raise

    async def open_for(self, owner: str) -> list[Activation]:
        marks = ",".join("?" * len(OPEN))
        rows = await self._db.query(
            f"SELECT * FROM activations WHERE owner=? AND status IN ({marks}) ORDER BY id",
            owner,
            *OPEN,
        )
        return self._fresh(rows)

    async def open_ended(
        self, owners: Sequence[str], before: float, limit: int
    ) -> list[Activation]:
        if not owners:
            return []
        marks, owner_marks = ",".join("?" * len(OPEN)), ",".join("?" * len(owners))
        rows = await self._db.query(
            f"SELECT * FROM activations WHERE owner IN ({owner_marks}) AND status IN ({marks}) "
            "AND end_time<=? ORDER BY end_time LIMIT ?",
            *owners,
            *OPEN,
            before,
            limit,
        )
        return [a for a in self._fresh(rows) if a.status.is_open and a.end_time <= before]

    async def by_upstream(self, provider: str, upstream_id: int) -> Activation | None:
        rows = await self._db.query(
            "SELECT * FROM activations WHERE provider=? AND upstream_id=? ORDER BY id DESC LIMIT 1",
            provider,
            upstream_id,
        )
        return self._fresh(rows)[0] if rows else None

    async def counts(self) -> dict[str, int]:
        rows = await self._db.query("SELECT status, n FROM activation_counts WHERE n > 0")
        return {status: n for status, n in rows}

    async def history(
        self, owner: str, limit: int, offset: int, newest_first: bool
    ) -> tuple[list[Activation], int]:
        direction = "DESC" if newest_first else "ASC"

        def read() -> tuple[list[sqlite3.Row], int]:
            rows = self._db.rows(
                f"SELECT * FROM activations WHERE owner=? ORDER BY id {direction} LIMIT ? OFFSET ?",
                (owner, limit, offset),
            )
            total = self._db.rows("SELECT n FROM owner_totals WHERE owner=?", (owner,))
            return rows, int(total[0][0]) if total else 0

        rows, total = await self._db.run(read)
        return self._fresh(rows), total

    async def last_on_number(self, owner: str, number: str, service: str) -> Activation | None:
        rows = await self._db.query(
            "SELECT * FROM activations WHERE owner=? AND number=? AND service=? "
            "ORDER BY id DESC LIMIT 1",
            owner,
            number,
            service,
        )
        return self._fresh(rows)[0] if rows else None

    async def claim_order_ref(self, owner: str, ref: str) -> bool:
        try:
            await self._db.execute("INSERT INTO order_refs (owner, ref) VALUES (?, ?)", owner, ref)
        except sqlite3.IntegrityError:
            return False
        return True

    async def release_order_ref(self, owner: str, ref: str) -> None:
        await self._db.execute("DELETE FROM order_refs WHERE owner=? AND ref=?", owner, ref)

    async def max_prices(self, owner: str) -> dict[str, Decimal]:
        rows = await self._db.query("SELECT service, price FROM max_prices WHERE owner=?", owner)
        return {service: Decimal(price) for service, price in rows}

    async def set_max_price(self, owner: str, service: str, price: Decimal) -> None:
        await self._db.execute(
            "INSERT OR REPLACE INTO max_prices (owner, service, price) VALUES (?, ?, ?)",
            owner,
            service,
            str(price),
        )

    async def delete_max_price(self, owner: str, service: str) -> bool:
        changed = await self._db.execute(
            "DELETE FROM max_prices WHERE owner=? AND service=?", owner, service
        )
        return changed > 0

"""One SQLite file in WAL mode, worked in one thread of its own, in the order the calls
were made: a query or a WAL checkpoint never stalls the event loop."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from proxy.domain import (
    PurchaseState,
)
from proxy.store.rows import (
    LONG_FIRST_ID,
)
from proxy.store.sqlite.schema import COUNTERS, SCHEMA

T = TypeVar("T")


class SqliteDb:
    def __init__(self, path: Path, *, first_id: int, synchronous: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(f"PRAGMA synchronous={synchronous}")
        self.conn.executescript(SCHEMA)
        policy_columns = {r[1] for r in self.conn.execute("PRAGMA table_info(tenant_policies)")}
        if "services" not in policy_columns:  # a file from before tenants had services
            self.conn.execute(
                "ALTER TABLE tenant_policies ADD COLUMN services TEXT NOT NULL DEFAULT ''"
            )
        if "document" not in policy_columns:  # a file from before policies had budgets
            self.conn.execute("ALTER TABLE tenant_policies ADD COLUMN document TEXT")
        activation_columns = {r[1] for r in self.conn.execute("PRAGMA table_info(activations)")}
        if "carrier" not in activation_columns:  # a file from before carriers were kept
            self.conn.execute("ALTER TABLE activations ADD COLUMN carrier TEXT")
        if "country" not in activation_columns:  # a file from before countries were kept
            self.conn.execute("ALTER TABLE activations ADD COLUMN country TEXT")
        if "past_codes" not in activation_columns:  # a file from before replays were told
            self.conn.execute("ALTER TABLE activations ADD COLUMN past_codes TEXT")
        counted = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name='activation_counts'"
        ).fetchone()
        if counted is None:
            self.conn.executescript(f"BEGIN; {COUNTERS} COMMIT;")
        long_seeded = self.conn.execute(
            "SELECT seq FROM sqlite_sequence WHERE name='long_rentals'"
        ).fetchone()
        if long_seeded is None:
            self.conn.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES ('long_rentals', ?)",
                (LONG_FIRST_ID - 1,),
            )
        seeded = self.conn.execute("SELECT seq FROM sqlite_sequence WHERE name='activations'")
        if seeded.fetchone() is None:
            self.conn.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES ('activations', ?)", (first_id - 1,)
            )
        # a purchase that was under way when the process died has an unknown outcome
        self.conn.execute(
            "UPDATE purchases SET state=?, note=? WHERE state=?",
            (PurchaseState.UNKNOWN.value, "under way when the proxy stopped", "pending"),
        )
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="sqlite")

    async def run(self, work: Callable[[], T]) -> T:
        """In the store's thread, after every call made before it."""
        return await asyncio.get_running_loop().run_in_executor(self._worker, work)

    def rows(self, sql: str, args: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, args).fetchall()

    async def query(self, sql: str, *args: object) -> list[sqlite3.Row]:
        return await self.run(lambda: self.rows(sql, args))

    async def execute(self, sql: str, *args: object) -> int:
        """Rows changed."""
        return await self.run(lambda: self.conn.execute(sql, args).rowcount)

    async def insert(self, table: str, columns: tuple[str, ...], row: tuple[object, ...]) -> int:
        marks = ",".join("?" * len(columns))
        sql = f"INSERT INTO {table} ({','.join(columns)}) VALUES ({marks})"

        def insert() -> int:
            cursor = self.conn.execute(sql, row)
            assert cursor.lastrowid is not None
            return cursor.lastrowid

        return await self.run(insert)

    async def update(
        self, table: str, columns: tuple[str, ...], row: tuple[object, ...], row_id: int
    ) -> None:
        assignments = ",".join(f"{c}=?" for c in columns)
        await self.execute(f"UPDATE {table} SET {assignments} WHERE id=?", *row, row_id)

    async def close(self) -> None:
        await self.run(self.conn.close)
        self._worker.shutdown(wait=True)

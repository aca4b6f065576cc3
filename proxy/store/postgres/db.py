"""PostgreSQL through an asyncpg pool: connections, migration at start, and the
unreachable database as `StoreUnavailable`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from proxy.domain import (
    PurchaseState,
)
from proxy.errors import StoreUnavailable
from proxy.store.pg_schema import migrate

log = logging.getLogger("smsproxy.store")
PENDING_LONGEST = 120.0  # no purchase stays pending this long in a live replica
Conn: TypeAlias = "PoolConnectionProxy[asyncpg.Record]"
UNREACHABLE = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,  # the connection broke
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, starting up
)


def marks(count: int, start: int = 1) -> str:
    return ",".join(f"${i}" for i in range(start, start + count))


def insert_sql(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({','.join(columns)}) VALUES ({marks(len(columns))})"


def update_sql(table: str, columns: tuple[str, ...]) -> str:
    sets = ",".join(f"{c}=${i}" for i, c in enumerate(columns, 1))
    return f"UPDATE {table} SET {sets} WHERE id=${len(columns) + 1}"

class PgDb:
    def __init__(
        self,
        dsn: str,
        *,
        schema: str | None = None,
        first_id: int = 100_000,
        pool_size: int = 10,
    ) -> None:
        self._dsn = dsn
        self._schema = schema
        self._first_id = first_id
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    async def _open(self) -> asyncpg.Pool:
        async with self._opening:
            if self._pool is None:
                settings = {"search_path": self._schema} if self._schema else {}
                if self._schema:
                    first = await asyncpg.connect(self._dsn)
                    try:
                        await first.execute(f'CREATE SCHEMA IF NOT EXISTS "{self._schema}"')
                    finally:
                        await first.close()
                pool = await asyncpg.create_pool(
                    self._dsn,
                    min_size=1,
                    max_size=self._pool_size,
                    server_settings=settings,
                    command_timeout=10,
                )
                async with pool.acquire() as conn:
                    await migrate(conn, self._first_id)
                    await self._mark_stale(conn)
                self._pool = pool
            return self._pool

    async def connect_alone(self) -> asyncpg.Connection:
        """A connection outside the pool, on the same schema (for LISTEN: it is held)."""
        settings = {"search_path": self._schema} if self._schema else {}
        try:
            if self._pool is None:
                await self._open()  # the schema exists, and is migrated
            return await asyncpg.connect(self._dsn, server_settings=settings, timeout=5)
        except UNREACHABLE as down:
            raise StoreUnavailable(f"PostgreSQL unreachable: {type(down).__name__}") from down

    @asynccontextmanager
    async def conn(self) -> AsyncIterator[Conn]:
        try:
            pool = self._pool or await self._open()
            async with pool.acquire() as conn:
                yield conn
        except UNREACHABLE as down:
            raise StoreUnavailable(f"PostgreSQL unreachable: {type(down).__name__}") from down

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        async with self.conn() as conn:
            return list(await conn.fetch(sql, *args))

    async def execute(self, sql: str, *args: Any) -> str:
        async with self.conn() as conn:
            return str(await conn.execute(sql, *args))

    async def state_counts(self, table: str) -> dict[str, int]:
        """Rows of `table` per state, from the counts its trigger keeps (migration 7):
        a few dozen rows read, however many the table holds."""
        rows = await self.fetch(
            "SELECT state, SUM(n) AS n FROM state_counts WHERE tbl=$1 GROUP BY state "
            "HAVING SUM(n) > 0",
            table,
        )
        return {r["state"]: int(r["n"]) for r in rows}

    @staticmethod
    def changed(status: str) -> int:
        """Rows an INSERT/UPDATE/DELETE status line says it changed."""
        return int(status.rsplit(" ", 1)[-1])

    async def _mark_stale(self, conn: Conn | asyncpg.Connection) -> None:
        await conn.execute(
            "UPDATE purchases SET state=$1, note=$2 WHERE state='pending' "
            "AND created_at < EXTRACT(EPOCH FROM clock_timestamp()) - $3",
            PurchaseState.UNKNOWN.value,
            "under way when its replica stopped",
            PENDING_LONGEST,
        )

    async def mark_stale(self) -> None:
        """Pending purchases of replicas that died become unknown (reconciled later)."""
        async with self.conn() as conn:
            await self._mark_stale(conn)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

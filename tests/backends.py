"""Store backends for the contract tests: memory, SQLite in a temporary file, and
PostgreSQL on the machine's server (SMSPROXY_TEST_POSTGRES_URL, default the local one),
each test in a schema of its own, dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

from proxy.ports import Store
from proxy.store.memory import MemoryStore
from proxy.store.postgres import PostgresStore
from proxy.store.sqlite import SqliteStore

BACKENDS = ("memory", "sqlite", "postgres")
POSTGRES_URL = os.environ.get(
    "SMSPROXY_TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/postgres"
)


@asynccontextmanager
async def pg_schema() -> AsyncIterator[str]:
    """A fresh schema name; dropped with everything in it when the test ends."""
    name = f"smsproxy_test_{uuid.uuid4().hex[:12]}"
    try:
        yield name
    finally:
        conn = await asyncpg.connect(POSTGRES_URL)
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        finally:
            await conn.close()


@asynccontextmanager
async def backend(kind: str, tmp_path: Path) -> AsyncIterator[Store]:
    if kind == "memory":
        yield MemoryStore()
        return
    if kind == "sqlite":
        store = SqliteStore(tmp_path / "s.db")
        try:
            yield store
        finally:
            await store.close()
        return
    async with pg_schema() as schema:
        pg = PostgresStore(POSTGRES_URL, schema=schema)
        try:
            yield pg
        finally:
            await pg.close()

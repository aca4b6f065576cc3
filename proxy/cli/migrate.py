"""`smsproxy migrate [--config F]`: bring the PostgreSQL schema up to date (replicas do it
at start as well, one at a time; this is for doing it ahead of a rollout)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import asyncpg

from proxy.config import load
from proxy.config.routing import ConfigError
from proxy.store.pg_schema import MIGRATIONS, migrate


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("migrate", help="apply the PostgreSQL schema migrations")
    parser.add_argument("--config", default=None, help="TOML settings file")
    parser.set_defaults(func=run_migrate)


def run_migrate(args: argparse.Namespace) -> int:
    try:
        settings = load(Path(args.config) if args.config else None)
    except (ConfigError, ValueError, OSError) as bad:
        print(f"migrate: {bad}", file=sys.stderr)
        return 2
    if settings.store != "postgres" or not settings.postgres_url:
        print('migrate: only store = "postgres" has migrations', file=sys.stderr)
        return 2
    url, schema = settings.postgres_url, settings.postgres_schema

    async def apply() -> list[int]:
        conn = await asyncpg.connect(url)
        try:
            if schema:
                await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
                await conn.execute(f'SET search_path TO "{schema}"')
            return await migrate(conn)
        finally:
            await conn.close()

    try:
        applied = asyncio.run(apply())
    except (OSError, asyncpg.PostgresError) as down:
        print(f"migrate: PostgreSQL: {down}", file=sys.stderr)
        return 1
    latest = MIGRATIONS[-1][0]
    if applied:
        print(f"applied {', '.join(map(str, applied))}; the schema is at version {latest}")
    else:
        print(f"the schema is at version {latest}: nothing to apply")
    return 0

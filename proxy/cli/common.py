"""What the store commands (`keys`, `tenants`, `usage`) share: the settings, and the
operator's use cases over the store the running proxy uses (SQLite in `data_dir`, or the
fleet's PostgreSQL): the same `TenantAdmin` the admin API goes through."""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from proxy.app import make_store
from proxy.config import Settings, fingerprint_secret, load
from proxy.config.routing import ConfigError
from proxy.local.clock import SystemClock
from proxy.ports import Store
from proxy.service.identity import Identity
from proxy.service.tenants.admin import TenantAdmin


def settings_for(
    args: argparse.Namespace, command: str, check: Callable[[Settings], None] | None = None
) -> Settings | None:
    """The settings of `--config`; None (the reason printed as `command: …`) when they
    cannot serve the command."""
    try:
        settings = load(Path(args.config) if args.config else None)
        if settings.store == "memory":
            raise ConfigError('store = "memory" keeps nothing another process could read')
        if check is not None:
            check(settings)
    except (ConfigError, ValueError, OSError) as bad:
        print(f"{command}: {bad}", file=sys.stderr)
        return None
    return settings


def open_store(settings: Settings) -> Store:
    """The store the proxy itself uses, so a command beside it sees the same data."""
    return make_store(settings)


@asynccontextmanager
async def tenant_admin(settings: Settings) -> AsyncIterator[TenantAdmin]:
    """Issued tenants' use cases over the proxy's store, closed after the command."""
    store = open_store(settings)
    try:
        yield TenantAdmin(
            store,
            Identity(fingerprint_secret(settings)),
            SystemClock(),
            [p.name for p in settings.providers],
        )
    finally:
        await store.close()

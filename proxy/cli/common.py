"""What the store commands (`keys`, `tenants`, `usage`) share: the settings, and the
store the running proxy uses (SQLite in `data_dir`, or the fleet's PostgreSQL)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from proxy.app import make_store
from proxy.config import Settings, load
from proxy.config.routing import ConfigError
from proxy.ports import ActivationStore


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


def open_store(settings: Settings) -> ActivationStore:
    """The store the proxy itself uses, so a command beside it sees the same data."""
    return make_store(settings)

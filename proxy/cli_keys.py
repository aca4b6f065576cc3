"""`smsproxy keys …`: issue, list and revoke client keys (managed_keys = true).

The commands work on the store in `data_dir`, beside a running proxy: it takes the
changes from the store within a second. A key is printed once, at creation.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from .config import Settings, fingerprint_secret, load
from .domain import ManagedKey
from .routing_config import ConfigError
from .service import keys as issued
from .service.identity import Identity
from .store.sqlite import SqliteStore

UNITS = {"m": 60, "h": 3600, "d": 86400}


def duration(text: str) -> float:
    """`30d`, `12h`, `90m` in seconds."""
    found = re.fullmatch(r"([1-9][0-9]{0,5})([mhd])", text.strip())
    if found is None:
        raise argparse.ArgumentTypeError("a duration such as 30d, 12h or 90m")
    return int(found.group(1)) * UNITS[found.group(2)]


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = commands.add_parser("keys", help="issue, list and revoke client keys")
    keys.add_argument("--config", default=None, help="TOML settings file")
    actions = keys.add_subparsers(dest="keys_action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="a new key for a tenant (printed once)")
    create.add_argument("--tenant", required=True)
    create.add_argument("--providers", default="", help="a,b: the providers it may use")
    create.add_argument("--expires", type=duration, default=None, help="e.g. 30d")
    create.add_argument(
        "--max-active", type=int, default=None, help="the tenant's cap on open activations"
    )
    create.add_argument("--services", default="", help="whatsapp,telegram: the only ones")
    actions.add_parser("list", help="every key: handle, tenant, providers, state")
    rotate = actions.add_parser("rotate", help="a new key in place of one (printed once)")
    rotate.add_argument("key_id")
    rotate.add_argument("--grace", type=duration, default=3600, help="old key's time, e.g. 2h")
    revoke = actions.add_parser("revoke", help="stop a key (within a second)")
    revoke.add_argument("key_id")
    keys.set_defaults(func=run_keys)


def run_keys(args: argparse.Namespace) -> int:
    try:
        settings = load(Path(args.config) if args.config else None)
        if not settings.managed_keys or not settings.providers:
            raise ConfigError("set managed_keys = true, with [[providers]], to issue keys")
    except (ConfigError, ValueError, OSError) as bad:
        print(f"keys: {bad}", file=sys.stderr)
        return 2
    return asyncio.run(_run(args, settings))


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    store = SqliteStore(settings.data_dir / "smsproxy.db")
    try:
        if args.keys_action == "create":
            return await _create(args, settings, store)
        if args.keys_action == "rotate":
            identity = Identity(fingerprint_secret(settings))
            made = await issued.rotate(store, identity, args.key_id, time.time(), args.grace)
            if made is None:
                print(f"keys: no usable key {args.key_id}", file=sys.stderr)
                return 2
            fresh, new = made
            print(f"{new.id} for tenant {new.tenant}: {fresh} (replaces {args.key_id})")
            return 0
        if args.keys_action == "revoke":
            revoked = await issued.revoke(store, args.key_id, time.time())
            if revoked is None:
                print(f"keys: no key {args.key_id}", file=sys.stderr)
                return 2
            print(f"{revoked.id} revoked")
            return 0
        for listed in await store.keys():
            print(_row(listed, time.time()))
        return 0
    finally:
        await store.close()


async def _create(args: argparse.Namespace, settings: Settings, store: SqliteStore) -> int:
    try:
        key, made = await issued.create(
            store,
            Identity(fingerprint_secret(settings)),
            args.tenant,
            tuple(n for n in args.providers.split(",") if n),
            time.time(),
            known={p.name for p in settings.providers},
            expires_in=args.expires,
            max_active=args.max_active,
            services=tuple(s for s in args.services.split(",") if s),
        )
    except ValueError as bad:
        print(f"keys: {bad}", file=sys.stderr)
        return 2
    print(f"{made.id} for tenant {made.tenant}: {key}")
    print("The key is shown this once; only its fingerprint is kept.", file=sys.stderr)
    return 0


def _when(at: float | None) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M") if at else "-"


def _row(key: ManagedKey, now: float) -> str:
    state = key.state(now)
    providers = ",".join(key.providers) or "all"
    return (
        f"{key.id}  tenant={key.tenant}  providers={providers}  created={_when(key.created_at)}"
        f"  expires={_when(key.expires_at)}  {state}"
    )

"""`smsproxy usage [--tenant T] [--since DATE] [--format table|csv|json]`: what issued
tenants spent, read from the store in `data_dir` (beside a running proxy or not)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from proxy.cli.common import settings_for, tenant_admin
from proxy.service.tenants.usage import check, usage
from proxy.service.tenants.usage_report import FORMATS, render, since_date


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("usage", help="what issued tenants spent (the ledger)")
    parser.add_argument("--config", default=None, help="TOML settings file")
    parser.add_argument("--tenant", default=None)
    parser.add_argument("--since", default=None, help="a UTC date, e.g. 2026-11-01")
    parser.add_argument("--format", choices=FORMATS, default="table")
    parser.set_defaults(func=run_usage)


def run_usage(args: argparse.Namespace) -> int:
    settings = settings_for(args, "usage")
    if settings is None:
        return 2
    try:
        since = since_date(args.since) if args.since else None
    except ValueError as bad:
        print(f"usage: {bad}", file=sys.stderr)
        return 2

    async def read() -> str:
        async with tenant_admin(settings) as admin:
            entries = await admin.ledger(args.tenant, since)
        return render(usage(entries), check(entries), args.format)

    sys.stdout.write(asyncio.run(read()))
    return 0

"""`smsproxy tenants …`: the policies of issued tenants, and adjustments to their ledger,
on the store in `data_dir` (beside a running proxy, which reads policies every second).

    smsproxy tenants set fleet-a --daily-budget 50 --rate 5/s
    smsproxy tenants list
    smsproxy tenants adjust fleet-a -2.50 --note "goodwill"
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from proxy.cli.common import settings_for, tenant_admin
from proxy.cli.keys import add_policy_flags, money, policy_from_args, policy_lines
from proxy.config import Settings
from proxy.config.routing import ConfigError

ADJUST_LIMIT = 1_000_000


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tenants = commands.add_parser("tenants", help="issued tenants' limits and ledger")
    tenants.add_argument("--config", default=None, help="TOML settings file")
    actions = tenants.add_subparsers(dest="tenants_action", metavar="ACTION", required=True)
    change = actions.add_parser("set", help="change a tenant's limits (the flags given)")
    change.add_argument("tenant")
    add_policy_flags(change)
    actions.add_parser("list", help="every tenant with limits")
    adjust = actions.add_parser("adjust", help="a correction in the tenant's ledger")
    adjust.add_argument("tenant")
    adjust.add_argument("amount", type=money, help="spend; negative credits the budget")
    adjust.add_argument("--note", default="", help="why, for the ledger")
    tenants.set_defaults(func=run_tenants)


def _managed(settings: Settings) -> None:
    if not settings.managed_keys:
        raise ConfigError("set managed_keys = true to keep tenants")


def run_tenants(args: argparse.Namespace) -> int:
    settings = settings_for(args, "tenants", _managed)
    return 2 if settings is None else asyncio.run(_run(args, settings))


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    async with tenant_admin(settings) as admin:
        if args.tenants_action == "set":
            try:
                policy = await admin.set_policy(args.tenant, policy_from_args(args))
            except ValueError as bad:
                print(f"tenants: {bad}", file=sys.stderr)
                return 2
            print(f"tenant {policy.tenant}: " + ", ".join(policy_lines(policy)))
            return 0
        if args.tenants_action == "adjust":
            if abs(args.amount) > ADJUST_LIMIT:
                print(f"tenants: amount must be within ±{ADJUST_LIMIT}", file=sys.stderr)
                return 2
            await admin.adjust(args.tenant, args.amount, args.note[:200])
            print(f"tenant {args.tenant}: adjusted by {args.amount}")
            return 0
        for name, policy in sorted((await admin.policies()).items()):
            print(f"tenant {name}: " + ", ".join(policy_lines(policy)))
        return 0

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
from decimal import Decimal, InvalidOperation

from proxy.cli.common import settings_for, tenant_admin
from proxy.config import Settings
from proxy.config.routing import ConfigError
from proxy.domain import ManagedKey, TenantPolicy
from proxy.service.tenants.admin import TenantAdmin
from proxy.service.tenants.issued_keys import PolicyChange
from proxy.service.tenants.usage import usage

UNITS = {"m": 60, "h": 3600, "d": 86400}


def duration(text: str) -> float:
    """`30d`, `12h`, `90m` in seconds."""
    found = re.fullmatch(r"([1-9][0-9]{0,5})([mhd])", text.strip())
    if found is None:
        raise argparse.ArgumentTypeError("a duration such as 30d, 12h or 90m")
    return int(found.group(1)) * UNITS[found.group(2)]


def rate(text: str) -> float:
    """`5/s`, `300/m` or `5` in requests per second."""
    found = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)(?:/([sm]))?", text.strip())
    if found is None or float(found.group(1)) <= 0:
        raise argparse.ArgumentTypeError("a rate such as 5/s or 300/m")
    return float(found.group(1)) / (60 if found.group(2) == "m" else 1)


def money(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError("an amount such as 50 or 12.50") from None
    if not value.is_finite():
        raise argparse.ArgumentTypeError("an amount such as 50 or 12.50")
    return value


def price_cap(text: str) -> tuple[str, Decimal]:
    service, _, amount = text.partition("=")
    if not service or not amount:
        raise argparse.ArgumentTypeError("SERVICE=AMOUNT, such as whatsapp=0.60")
    return service, money(amount)


def add_policy_flags(parser: argparse.ArgumentParser) -> None:
    """The tenant's limits; each flag given replaces that limit for every key of it."""
    parser.add_argument("--max-active", type=int, default=None, help="open activations at once")
    parser.add_argument("--services", default=None, help="whatsapp,telegram: the only ones")
    parser.add_argument("--daily-budget", type=money, default=None, help="spend per UTC day")
    parser.add_argument("--monthly-budget", type=money, default=None, help="spend per month")
    parser.add_argument("--rate", type=rate, default=None, help="requests, e.g. 5/s")
    parser.add_argument("--countries", default=None, help="us,gb: the only ones")
    parser.add_argument(
        "--max-price", type=price_cap, action="append", default=None, help="whatsapp=0.60"
    )
    parser.add_argument("--webhook", default=None, help="URL its codes are POSTed to")
    parser.add_argument(
        "--upstream-balance",
        action="store_true",
        default=None,
        help="without a budget, getBalance shows the vendor account's balance",
    )


def policy_from_args(args: argparse.Namespace) -> PolicyChange:
    def names(text: str | None) -> tuple[str, ...] | None:
        return None if text is None else tuple(n for n in text.split(",") if n)

    return PolicyChange(
        max_active=args.max_active,
        services=names(args.services),
        daily_budget=args.daily_budget,
        monthly_budget=args.monthly_budget,
        rate_per_second=args.rate,
        countries=names(args.countries),
        max_prices=None if args.max_price is None else tuple(args.max_price),
        webhook_url=args.webhook,
        upstream_balance=args.upstream_balance,
    )


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = commands.add_parser("keys", help="issue, list and revoke client keys")
    keys.add_argument("--config", default=None, help="TOML settings file")
    actions = keys.add_subparsers(dest="keys_action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="a new key for a tenant (printed once)")
    create.add_argument("--tenant", required=True)
    create.add_argument("--providers", default="", help="a,b: the providers it may use")
    create.add_argument("--expires", type=duration, default=None, help="e.g. 30d")
    add_policy_flags(create)
    actions.add_parser("list", help="every key: handle, tenant, providers, state")
    show = actions.add_parser("show", help="one key, its tenant's limits and spend")
    show.add_argument("key_id")
    rotate = actions.add_parser("rotate", help="a new key in place of one (printed once)")
    rotate.add_argument("key_id")
    rotate.add_argument("--grace", type=duration, default=3600, help="old key's time, e.g. 2h")
    revoke = actions.add_parser("revoke", help="stop a key (within a second)")
    revoke.add_argument("key_id")
    keys.set_defaults(func=run_keys)


def _issuing(settings: Settings) -> None:
    if not settings.managed_keys or not settings.providers:
        raise ConfigError("set managed_keys = true, with [[providers]], to issue keys")


def run_keys(args: argparse.Namespace) -> int:
    settings = settings_for(args, "keys", _issuing)
    return 2 if settings is None else asyncio.run(_run(args, settings))


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    async with tenant_admin(settings) as admin:
        if args.keys_action == "create":
            return await _create(args, admin)
        if args.keys_action == "rotate":
            made = await admin.rotate_key(args.key_id, args.grace)
            if made is None:
                print(f"keys: no usable key {args.key_id}", file=sys.stderr)
                return 2
            fresh, new = made
            print(f"{new.id} for tenant {new.tenant}: {fresh} (replaces {args.key_id})")
            return 0
        if args.keys_action == "revoke":
            revoked = await admin.revoke_key(args.key_id)
            if revoked is None:
                print(f"keys: no key {args.key_id}", file=sys.stderr)
                return 2
            print(f"{revoked.id} revoked")
            return 0
        if args.keys_action == "show":
            return await _show(args.key_id, admin)
        for listed in await admin.issued_keys():
            print(_row(listed, time.time()))
        return 0


async def _create(args: argparse.Namespace, admin: TenantAdmin) -> int:
    try:
        key, made = await admin.issue_key(
            args.tenant,
            tuple(n for n in args.providers.split(",") if n),
            args.expires,
            policy_from_args(args),
        )
    except ValueError as bad:
        print(f"keys: {bad}", file=sys.stderr)
        return 2
    print(f"{made.id} for tenant {made.tenant}: {key}")
    if args.webhook:
        secret = admin.signing_key(made.tenant)
        print(f"webhook signing secret for tenant {made.tenant}: {secret}")
    sys.stdout.flush()  # the key first, as a terminal shows it, also when piped
    print("The key is shown this once; only its fingerprint is kept.", file=sys.stderr)
    return 0


async def _show(key_id: str, admin: TenantAdmin) -> int:
    found = next((k for k in await admin.issued_keys() if k.id == key_id), None)
    if found is None:
        print(f"keys: no key {key_id}", file=sys.stderr)
        return 2
    print(_row(found, time.time()))
    policy = (await admin.policies()).get(found.tenant)
    limits = policy_lines(policy) if policy is not None else ["no limits"]
    spent = usage(await admin.ledger(found.tenant))
    net = spent[0].net if spent else Decimal(0)
    print(f"tenant {found.tenant}: " + ", ".join(limits) + f"; net spend {net}")
    return 0


def policy_lines(policy: TenantPolicy) -> list[str]:
    shown = [
        ("max_active", policy.max_active),
        ("services", ",".join(policy.services)),
        ("daily_budget", policy.daily_budget),
        ("monthly_budget", policy.monthly_budget),
        ("rate", f"{policy.rate_per_second:g}/s" if policy.rate_per_second else None),
        ("countries", ",".join(policy.countries)),
        ("max_prices", ",".join(f"{s}={p}" for s, p in policy.max_prices)),
        ("webhook", policy.webhook_url),
        ("upstream_balance", "yes" if policy.upstream_balance else None),
    ]
    return [f"{name}={value}" for name, value in shown if value not in (None, "")] or ["no limits"]


def _when(at: float | None) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M") if at else "-"


def _row(key: ManagedKey, now: float) -> str:
    state = key.state(now)
    providers = ",".join(key.providers) or "all"
    return (
        f"{key.id}  tenant={key.tenant}  providers={providers}  created={_when(key.created_at)}"
        f"  expires={_when(key.expires_at)}  {state}"
    )

"""The `smsproxy` command line."""

from __future__ import annotations

import argparse
import logging
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import fields
from decimal import Decimal
from typing import Any

from aiohttp import web


def _sandbox_config(args: argparse.Namespace) -> Any:
    from proxy.sandbox import SandboxConfig

    values: dict[str, Any] = {}
    if args.config:
        with open(args.config, "rb") as fh:
            raw = tomllib.load(fh)
        section = raw.get("sandbox", raw)
        known = {f.name for f in fields(SandboxConfig)}
        unknown = set(section) - known
        if unknown:
            raise SystemExit(f"unknown sandbox settings: {', '.join(sorted(unknown))}")
        values.update(section)
        if "long_rental_prices" in values:
            values["long_rental_prices"] = {
                k: Decimal(str(v)) for k, v in values["long_rental_prices"].items()
            }
    if args.seed is not None:
        values["seed"] = args.seed
    if args.frozen_clock:
        values["frozen_clock"] = True
    return SandboxConfig(**values)


def run_sandbox(args: argparse.Namespace) -> int:
    from proxy.sandbox import create_app

    app = create_app(_sandbox_config(args))
    print(f"Getatext sandbox on http://{args.host}:{args.port} (demo key: sk_sandbox_demo)")
    web.run_app(app, host=args.host, port=args.port, print=None)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smsproxy",
        description="Drop-in backend for SMS-verification tools, speaking their vendors' "
        "protocols on top of the Getatext JSON v1 API.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    sandbox = commands.add_parser("sandbox", help="run the Getatext vendor emulator")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=9300)
    sandbox.add_argument("--seed", type=int, default=None, help="fixes numbers, ids and TTLs")
    sandbox.add_argument("--config", default=None, help="TOML file with sandbox settings")
    sandbox.add_argument(
        "--frozen-clock",
        action="store_true",
        help="start at a fixed instant; time moves only via /_sandbox/clock",
    )
    sandbox.set_defaults(func=run_sandbox)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 0
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())

"""The `smsproxy` command line."""

from __future__ import annotations

import argparse
import gc
import logging
import signal
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import fields
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from proxy.cli.keys import add_commands as add_keys_commands
from proxy.cli.migrate import add_command as add_migrate_command
from proxy.cli.tenants import add_commands as add_tenants_commands
from proxy.cli.usage import add_command as add_usage_command
from proxy.telemetry.logs import log_from_a_thread


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
    ready = f"Getatext sandbox on http://{args.host}:{args.port} (demo key: sk_sandbox_demo)"
    # the line is printed once the socket listens: scripts wait for it
    web.run_app(app, host=args.host, port=args.port, print=lambda _: print(ready, flush=True))
    return 0


def run_serve(args: argparse.Namespace) -> int:
    import errno
    import os
    from pathlib import Path

    from proxy import config
    from proxy.app import describe_config
    from proxy.config.routing import ConfigError

    where = args.config or "settings"
    try:
        settings = config.load(
            Path(args.config) if args.config else None,
            host=args.host,
            port=args.port,
            upstream_url=args.upstream,
            data_dir=Path(args.data_dir) if args.data_dir else None,
        )
        describe_config(settings, os.environ)  # checked whole before anything listens
    except (ConfigError, ValueError, OSError, tomllib.TOMLDecodeError) as bad:
        print(f"smsproxy: {where}: {bad}", file=sys.stderr)  # what check-config says
        return 2
    problem = unwritable(settings.data_dir)
    if problem is not None:
        print(f"smsproxy: {problem}", file=sys.stderr)
        return 2
    # uvloop's loop: a third less CPU per request than asyncio's (bench/overhead.py)
    import uvloop

    try:
        uvloop.run(_serve(settings, args.config))
    except OSError as busy:
        if busy.errno != errno.EADDRINUSE:
            raise
        print(
            f"smsproxy: an address is already in use ({busy.strerror}): the proxy's port "
            f"{settings.port} moves with --port or SMSPROXY_PORT, the embedded sandbox's "
            f"{settings.sandbox_port} with SMSPROXY_SANDBOX_PORT",
            file=sys.stderr,
        )
        return 2
    return 0


def unwritable(data_dir: Any) -> str | None:
    """Why the data directory cannot hold state, in a line; None when it can. A volume
    mounted with another owner is the usual cause in a container."""
    import os

    probe = data_dir / ".smsproxy-write-check"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as denied:
        return (
            f"data_dir {data_dir} is not writable by uid {os.getuid()} "
            f"({denied.strerror}): mount a volume that user can write, "
            "or point SMSPROXY_DATA_DIR elsewhere"
        )
    return None


async def _serve(settings: Any, config: str | None = None) -> None:
    import asyncio

    from proxy.app import build_app
    from proxy.sandbox import SandboxConfig
    from proxy.sandbox import create_app as create_sandbox
    from proxy.web.server import QuietAppRunner

    runners = []

    async def embedded(host: str, port: int, state: str, seed: int = 1) -> None:
        world = SandboxConfig(seed=seed, state_file=str(settings.data_dir / state))
        sandbox = QuietAppRunner(create_sandbox(world), access_log=None)
        await sandbox.setup()
        await web.TCPSite(sandbox, host, port).start()
        runners.append(sandbox)

    if settings.uses_embedded_sandbox:
        await embedded(settings.sandbox_host, settings.sandbox_port, "sandbox-state.pickle")
    for seed, provider in enumerate(settings.providers, start=1):
        if provider.sandbox:  # a demo vendor of its own, at the provider's address
            where = urlsplit(provider.base_url)
            host, port = where.hostname or "127.0.0.1", where.port or 80
            await embedded(host, port, f"sandbox-{provider.name}.pickle", seed)
    runner = QuietAppRunner(build_app(settings), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.host, settings.port).start()
    runners.append(runner)
    # everything built so far lives as long as the process: keep the cyclic collector
    # from walking it again on every full collection (it showed in request latency)
    gc.freeze()
    from proxy.cli.banner import banner

    print(banner(settings, config), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # handled, not inherited: a process started with SIGINT ignored (a background job of
    # a shell) or as a container's PID 1 (where SIGTERM has no default action) still stops
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        for r in reversed(runners):
            await r.cleanup()


def run_check_config(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from proxy import config
    from proxy.app import describe_config
    from proxy.config.routing import ConfigError

    try:
        settings = config.load(Path(args.file))
        lines = describe_config(settings, os.environ)
    except (ConfigError, ValueError, OSError, tomllib.TOMLDecodeError) as bad:
        print(f"{args.file}: {bad}", file=sys.stderr)
        return 2
    print(f"{args.file}: ok")
    for line in lines:
        print(f"  {line}")
    return 0


def run_fingerprint(args: argparse.Namespace) -> int:
    """A client key's fingerprint for `key_fingerprint` in [[tenants]] (the key from stdin,
    so it stays out of the shell history)."""
    from pathlib import Path

    from proxy import config
    from proxy.config import fingerprint_secret
    from proxy.service.identity import Identity

    settings = config.load(Path(args.config) if args.config else None)
    key = sys.stdin.readline().strip()
    if not key:
        print("give the client key on standard input", file=sys.stderr)
        return 2
    print(Identity(fingerprint_secret(settings)).fingerprint(key))
    return 0


def run_webhook_url(args: argparse.Namespace) -> int:
    """The URL to give each vendor account's webhook setting. With [[providers]], one per
    provider; without, one per client key (the key on stdin: each key is its own account)."""
    from pathlib import Path

    from proxy import config
    from proxy.config import fingerprint_secret
    from proxy.service.identity import key_webhook_path, webhook_token

    settings = config.load(Path(args.config) if args.config else None)
    if not settings.webhook_secret:
        print("set webhook_secret first: it enables webhooks", file=sys.stderr)
        return 2
    base = args.base.rstrip("/")
    if settings.providers:
        for p in settings.providers:
            token = webhook_token(settings.webhook_secret, p.name, p.name)
            print(f"{p.name}: {base}/webhooks/{p.name}/{token}")
        return 0
    key = sys.stdin.readline().strip()
    if not key:
        print("give the client key on standard input", file=sys.stderr)
        return 2
    print(base + key_webhook_path(settings.webhook_secret, fingerprint_secret(settings), key))
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

    serve = commands.add_parser(
        "serve", help="run the proxy (with an embedded sandbox unless --upstream is given)"
    )
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument(
        "--upstream",
        default=None,
        help="Getatext base URL (or SMSPROXY_UPSTREAM_URL); default: sandbox",
    )
    serve.add_argument("--data-dir", default=None, help="state folder (default ./var)")
    serve.add_argument("--config", default=None, help="TOML settings file")
    serve.set_defaults(func=run_serve)

    check = commands.add_parser(
        "check-config", help="explain what a configuration file runs, or what is wrong in it"
    )
    check.add_argument("file")
    check.set_defaults(func=run_check_config)

    fingerprint = commands.add_parser(
        "fingerprint", help="a client key's fingerprint (key on stdin) for [[tenants]]"
    )
    fingerprint.add_argument("--config", default=None, help="TOML settings file (its secret)")
    fingerprint.set_defaults(func=run_fingerprint)

    add_keys_commands(commands)
    add_usage_command(commands)
    add_migrate_command(commands)
    add_tenants_commands(commands)

    hook = commands.add_parser(
        "webhook-url", help="the webhook URL of each upstream account (a client key on stdin)"
    )
    hook.add_argument("--config", default=None, help="TOML settings file")
    hook.add_argument("--base", default="http://127.0.0.1:8080", help="the proxy's public URL")
    hook.set_defaults(func=run_webhook_url)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    log_from_a_thread(logging.INFO)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 0
    try:
        result: int = args.func(args)
    except KeyboardInterrupt:
        return 0
    return result


if __name__ == "__main__":
    sys.exit(main())

"""Composition root: settings in, a wired aiohttp application out. Assembly only."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from adapters.dialects import mount
from adapters.dialects.codes import Vocabulary
from adapters.upstreams import Upstreams

from .clock import SystemClock
from .config import Settings, fingerprint_secret
from .domain import Timeouts
from .keys import SERVICE, SETTINGS
from .middlewares import no_tracebacks
from .ports import ActivationStore, Clock
from .service import Service, ServiceSettings
from .service.identity import Identity
from .store import MemoryStore, SqliteStore

MAX_REQUEST_BYTES = 64 * 1024


def make_store(settings: Settings) -> ActivationStore:
    if settings.store == "memory":
        return MemoryStore()
    return SqliteStore(settings.data_dir / "smsproxy.db", synchronous=settings.sqlite_synchronous)


def upstream_url(settings: Settings) -> str:
    if settings.upstream_url:
        return settings.upstream_url
    return f"http://{settings.sandbox_host}:{settings.sandbox_port}"


def build_app(settings: Settings, clock: Clock | None = None) -> web.Application:
    app = web.Application(middlewares=[no_tracebacks], client_max_size=MAX_REQUEST_BYTES)
    app[SETTINGS] = settings
    upstreams = Upstreams()
    timeouts = Timeouts(
        purchase=settings.purchase_timeout_seconds,
        change=max(settings.read_timeout_seconds, 10.0),
        read=settings.read_timeout_seconds,
        listing=max(settings.read_timeout_seconds, 10.0),
    )
    provider = upstreams.provider("getatext", upstream_url(settings), timeouts)
    service = Service(
        provider,
        make_store(settings),
        clock or SystemClock(),
        Identity(fingerprint_secret(settings)),
        ServiceSettings(
            cancel_lock_seconds=settings.cancel_lock_seconds,
            poll_interval_seconds=settings.poll_interval_seconds,
            offers_ttl_seconds=settings.offers_ttl_seconds,
        ),
    )
    app[SERVICE] = service
    mount(app, service, Vocabulary(settings.service_codes), settings.default_dialect)

    async def lifecycle(_app: web.Application) -> AsyncIterator[None]:
        yield
        await service.close()
        await upstreams.aclose()

    app.cleanup_ctx.append(lifecycle)
    return app

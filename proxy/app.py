"""Composition root: settings in, a wired aiohttp application out. Assembly only."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from adapters import dialects
from adapters.dialects.codes import Vocabulary
from adapters.upstreams import Upstreams

from . import endpoints, webhooks
from .clock import SystemClock
from .config import Settings, fingerprint_secret
from .domain import Timeouts
from .keys import SERVICE, SETTINGS
from .middlewares import no_tracebacks
from .pacing import Pacer
from .ports import ActivationStore, Clock
from .service import Service, ServiceSettings
from .service.identity import Identity
from .store import MemoryStore, SqliteStore

MAX_REQUEST_BYTES = 64 * 1024


def make_store(settings: Settings) -> ActivationStore:
    if settings.store == "memory":
        return MemoryStore()
    return SqliteStore(settings.data_dir / "smsproxy.db", synchronous=settings.sqlite_synchronous)


def service_settings(s: Settings) -> ServiceSettings:
    return ServiceSettings(
        cancel_lock_seconds=s.cancel_lock_seconds,
        poll_interval_seconds=s.poll_interval_seconds,
        reconcile_interval_seconds=s.reconcile_interval_seconds,
        webhooks=bool(s.webhook_secret),
        offers_ttl_seconds=s.offers_ttl_seconds,
        offers_stale_seconds=s.offers_stale_seconds,
        combination_ttl_seconds=s.combination_ttl_seconds,
        out_of_stock_ttl_seconds=s.out_of_stock_ttl_seconds,
        default_rate_per_second=s.default_rate_per_second,
    )


def make_pacer(s: Settings) -> Pacer:
    if not s.pacing_enabled:
        return Pacer(max_wait=float("inf"), margin=-1.0)  # interval 0: no pacing at all
    return Pacer(max_wait=s.pacing_max_wait_seconds, margin=s.pacing_margin)


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
        service_settings(settings),
        make_pacer(settings),
    )
    app[SERVICE] = service
    dialects.mount(app, service, Vocabulary(settings.service_codes), settings.default_dialect)
    webhooks.mount(app)
    endpoints.mount(app)

    async def lifecycle(_app: web.Application) -> AsyncIterator[None]:
        yield
        await service.close()
        await upstreams.aclose()

    app.cleanup_ctx.append(lifecycle)
    return app

"""Composition root: settings in, a wired aiohttp application out. Assembly only."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from decimal import Decimal

from aiohttp import web
from redis.asyncio import Redis

from adapters import dialects
from adapters.dialects.codes import Vocabulary
from adapters.dialects.sms_activate.webhook import webhook_body
from adapters.upstreams import KINDS, Upstreams
from adapters.upstreams.handler_api import FLAVOURS
from proxy.config import Settings, fingerprint_secret
from proxy.config.routing import (
    ConfigError,
    provider_accounts,
    tenant_accounts,
    unknown_names,
)
from proxy.domain import Tenant, Timeouts
from proxy.errors import DomainError
from proxy.fleet.caches import RedisCaches
from proxy.fleet.cooldowns import SharedCooldowns
from proxy.fleet.pacer import RedisPacer
from proxy.fleet.rates import RedisRates
from proxy.inputs.sources import networks
from proxy.local.clock import SystemClock
from proxy.local.pacing import Pacer
from proxy.ports import Clock, Observer, Provider, Store
from proxy.router import Cooldowns
from proxy.service import Service, ServiceSettings, Upkeep
from proxy.service.identity import Identity
from proxy.store import MemoryStore, SqliteStore
from proxy.store.postgres import PostgresStore
from proxy.store.timed import TimedStore
from proxy.telemetry import loop_lag
from proxy.telemetry.access_log import AccessLog
from proxy.telemetry.metrics import Metrics
from proxy.telemetry.null_observer import NullObserver
from proxy.telemetry.served import Served
from proxy.web import ops as endpoints
from proxy.web import vendor_webhooks as webhooks
from proxy.web.admin import keys as admin_keys
from proxy.web.admin import usage as admin_usage
from proxy.web.app_keys import METRICS, SERVED, SERVICE, SETTINGS, TRUSTED_PROXIES
from proxy.web.observed_routes import register
from proxy.web.tenant_webhooks import HttpSender
from proxy.web.vendor_webhooks import WEBHOOK_STATS, WebhookStats

MAX_REQUEST_BYTES = 64 * 1024
KEYS_REFRESH_SECONDS = 1.0
KEYS_CATCH_UP_SECONDS = 30.0  # keys read again although no change was pushed
SWEEP_SECONDS = 30.0  # how often rentals that ended unasked are looked for
HEARTBEAT_SECONDS = 2.0
STALE_EVERY = 30  # heartbeats between two looks for purchases of replicas that died
REDIS_TIMEOUT = 0.5  # seconds: Redis answers in well under one, or counts as away
log = logging.getLogger("smsproxy")
DEMO_KEY = "sk_sandbox_demo"  # the embedded sandbox's account


def make_store(settings: Settings) -> Store:
    if settings.store == "memory":
        return MemoryStore()
    if settings.store == "postgres":
        assert settings.postgres_url is not None  # config.check_fleet
        return PostgresStore(settings.postgres_url, schema=settings.postgres_schema)
    return SqliteStore(settings.data_dir / "smsproxy.db", synchronous=settings.sqlite_synchronous)


def service_settings(s: Settings) -> ServiceSettings:
    return ServiceSettings(
        cancel_lock_seconds=s.cancel_lock_seconds,
        poll_interval_seconds=s.poll_interval_seconds,
        reconcile_interval_seconds=s.reconcile_interval_seconds,
        webhook_secret=s.webhook_secret,
        routing=s.routing,
        routing_seed=s.routing_seed,
        price_rates=price_rates(s),
        value_explore=s.value_explore,
        offers_ttl_seconds=s.offers_ttl_seconds,
        offers_stale_seconds=s.offers_stale_seconds,
        combination_ttl_seconds=s.combination_ttl_seconds,
        out_of_stock_ttl_seconds=s.out_of_stock_ttl_seconds,
        default_rate_per_second=s.default_rate_per_second,
        unknown_key_checks_per_second=s.unknown_key_checks_per_second,
        client_rate_per_second=s.client_rate_per_second,
        client_burst=s.client_burst,
        client_limited_delay_seconds=s.client_limited_delay_seconds,
        unknown_key_check_wait_seconds=s.unknown_key_check_wait_seconds,
        cooldowns=Cooldowns(
            maintenance=s.maintenance_cooldown_seconds,
            transient=s.transient_cooldown_seconds,
            bad_key=s.bad_key_cooldown_seconds,
            no_funds_recheck=s.no_funds_recheck_seconds,
        ),
    )


def price_rates(s: Settings) -> dict[str, Decimal | None]:
    """Each provider's factor from its currency to the routing currency (None: no rate)."""
    rates = {code: Decimal(str(rate)) for code, rate in s.currency_rates.items()}
    rates[s.routing_currency] = Decimal(1)
    return {p.name: rates.get(p.currency) for p in s.providers}


def make_redis(s: Settings) -> Redis | None:
    if s.coordination != "redis":
        return None
    assert s.redis_url is not None  # config.check_fleet
    return Redis.from_url(
        s.redis_url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
    )


def make_pacer(
    s: Settings, metrics: Metrics | None = None, redis: Redis | None = None
) -> Pacer | RedisPacer:
    observe = metrics.paced if metrics is not None else None
    if not s.pacing_enabled:  # interval 0: no pacing at all
        return Pacer(max_wait=float("inf"), margin=-1.0, observe_wait=observe, window_guard=False)
    if redis is not None:
        return RedisPacer(
            redis,
            prefix=s.redis_prefix,
            max_wait=s.pacing_max_wait_seconds,
            margin=s.pacing_margin,
            observe_wait=observe,
        )
    return Pacer(max_wait=s.pacing_max_wait_seconds, margin=s.pacing_margin, observe_wait=observe)


WILDCARDS = ("0.0.0.0", "::", "")  # listen on every interface: reached on loopback


def upstream_url(settings: Settings) -> str:
    if settings.upstream_url:
        return settings.upstream_url
    host = "127.0.0.1" if settings.sandbox_host in WILDCARDS else settings.sandbox_host
    return f"http://{host}:{settings.sandbox_port}"


def wire_providers(
    settings: Settings, upstreams: Upstreams, env: Mapping[str, str], clock: Clock
) -> tuple[list[Provider], Identity]:
    """The configured providers and who may use them; without `[[providers]]`, one
    Getatext upstream and client keys passed through (unless `passthrough_keys` is off:
    then no key is, and none reaches the vendor)."""
    secret = fingerprint_secret(settings)
    if not settings.providers:
        if settings.managed_keys:
            raise ConfigError("managed_keys: issued keys use the accounts of [[providers]]")
        provider = upstreams.provider("getatext", upstream_url(settings), timeouts(settings))
        closed: dict[str, Tenant] | None = None if settings.passthrough_keys else {}
        identity = Identity(
            secret,
            provider.name,
            closed,
            refused_key_ttl=settings.refused_key_ttl_seconds,
            now=clock.now,
        )
        return [provider], identity
    check_kinds(settings)
    try:
        providers = [
            upstreams.provider(
                p.kind,
                p.base_url,
                timeouts(settings),
                name=p.name,
                countries=p.countries,
                services=p.services,
                limits=dict(p.limits),
                **p.options(env),
            )
            for p in settings.providers
        ]
    except ValueError as bad:  # a flavour the kind does not know
        raise ConfigError(str(bad)) from None
    fingerprint = Identity(secret).fingerprint
    tenants = tenant_accounts(settings.providers, settings.tenants, fingerprint, env)
    issued_reach = provider_accounts(settings.providers, env) if settings.managed_keys else {}
    return providers, Identity(secret, providers[0].name, tenants, issued_reach)


def check_kinds(settings: Settings) -> None:
    """Every provider's kind is one the adapters know, else its name and the near one."""
    for p in settings.providers:
        if p.kind not in KINDS:
            raise ConfigError(
                f"provider {p.name}: unknown kind {unknown_names({p.kind}, set(KINDS))}; "
                f"kinds are {', '.join(KINDS)}"
            )


def describe_config(settings: Settings, env: Mapping[str, str]) -> list[str]:
    """What the configuration will run, line by line; `ConfigError` saying what is wrong.
    Every key is resolved (env, files) but none is printed."""
    if settings.default_dialect not in dialects.HANDLER_FAMILIES:
        families = ", ".join(dialects.HANDLER_FAMILIES)
        raise ConfigError(f"default_dialect must be one of {families}")
    if not settings.providers:
        where = "the embedded sandbox" if settings.uses_embedded_sandbox else upstream_url(settings)
        if not settings.passthrough_keys:
            return [
                f"one getatext provider at {where}; no client key passes through",
                state_of(settings),
            ]
        return [
            f"one getatext provider at {where}; client keys pass through",
            key_checks(settings),
            state_of(settings),
        ]
    check_kinds(settings)
    lines = []
    for p in sorted(settings.providers, key=lambda p: p.priority):
        if p.kind == "handler-api" and p.flavour not in FLAVOURS:
            raise ConfigError(f"provider {p.name}: flavour must be one of {', '.join(FLAVOURS)}")
        p.key(env)
        options = p.options(env)  # checks what the kind needs (a user name) is set
        kind = f"{p.kind} ({p.flavour})" if p.flavour else p.kind
        said = f"provider {p.name}: {kind} at {p.base_url}, priority {p.priority}"
        if "username" in options:
            said += f", signs in as the user in ${p.username_env}"
        lines.append(said + priced_in(settings, p.currency))
    lines.append(routing_of(settings))
    # every key is read, but no fingerprint is made: that would write a secret file
    accounts = tenant_accounts(settings.providers, settings.tenants, lambda key: key, env)
    for index, tenant in enumerate(accounts.values()):
        routing = f" ({tenant.routing})" if tenant.routing else ""
        lines.append(f"tenant {index}: {', '.join(a.provider for a in tenant.accounts)}{routing}")
    return [*lines, state_of(settings)]


def priced_in(s: Settings, currency: str) -> str:
    if currency == s.routing_currency:
        return ""
    rate = s.currency_rates.get(currency)
    if rate is None:
        return f", prices in {currency} (no rate to {s.routing_currency}: ranked last by price)"
    return f", prices in {currency} (1 {currency} = {rate} {s.routing_currency})"


def routing_of(s: Settings) -> str:
    """How purchases pick a provider, in a line."""
    how = {
        "priority": "the first provider by priority that sells it, then the next",
        "cheapest": f"the cheapest live price in {s.routing_currency} first",
        "weighted": "providers in turn, by weight",
        "value": (
            f"the lowest price in {s.routing_currency} per delivered code first "
            f"({s.value_explore:.0%} of purchases try another provider)"
        ),
    }[s.routing]
    return f"routing {s.routing}: {how}"


def state_of(s: Settings) -> str:
    """Where state lives and who coordinates, in a line (no URL: it may hold a password)."""
    if s.store == "postgres":
        schema = f", schema {s.postgres_schema}" if s.postgres_schema else ""
        store = f"state in PostgreSQL{schema}"
    elif s.store == "memory":
        store = "state in memory (lost at exit)"
    else:
        store = f"state in SQLite at {s.data_dir / 'smsproxy.db'}"
    if s.coordination == "redis":
        together = f"coordinated in Redis (prefix {s.redis_prefix}), {s.replicas} replica(s)"
    else:
        together = "pacing and caches in this process"
    return f"{store}; {together}"


def key_checks(s: Settings) -> str:
    """How keys never seen are checked, in a line."""
    per_source = (
        f"{s.client_rate_per_second:g}/s per source (burst {s.client_burst})"
        if s.client_rate_per_second
        else "no limit per source"
    )
    forwarded = ", ".join(s.trusted_proxies) or "no proxy"
    return (
        f"new keys checked at {s.unknown_key_checks_per_second:g}/s, {per_source}, "
        f"refused ones remembered {s.refused_key_ttl_seconds:g} s; "
        f"X-Forwarded-For trusted from {forwarded}"
    )


def build_app(
    settings: Settings, clock: Clock | None = None, env: Mapping[str, str] | None = None
) -> web.Application:
    metrics = Metrics(dialects.NAMES) if settings.metrics_enabled else None
    access_log = AccessLog()
    served = Served(metrics, access_log, json_lines=settings.log_json)
    observer: Observer = metrics or NullObserver()
    app = web.Application(client_max_size=MAX_REQUEST_BYTES)
    app[SETTINGS] = settings
    app[SERVED] = served
    app[TRUSTED_PROXIES] = networks(settings.trusted_proxies)
    upstreams = Upstreams(observer=observer)
    clock = clock or SystemClock()
    providers, identity = wire_providers(
        settings, upstreams, os.environ if env is None else env, clock
    )
    redis = make_redis(settings)
    pacer = make_pacer(settings, metrics, redis)
    store = make_store(settings)
    caches = RedisCaches(redis, settings.redis_prefix, clock.now) if redis else None
    vocab = Vocabulary(settings.service_codes)
    sender = HttpSender()
    service = Service(
        providers,
        TimedStore(store, observer) if metrics else store,
        clock,
        identity,
        service_settings(settings),
        pacer,
        observer,
        caches,
        render=lambda a: webhook_body(a, vocab),
        sender=sender,
        rates=RedisRates(redis, settings.redis_prefix, lambda: getattr(pacer, "alive", 1))
        if redis is not None
        else None,
    )
    app[SERVICE] = service
    guest_key = settings.guest_key or (DEMO_KEY if settings.uses_embedded_sandbox else None)
    app[WEBHOOK_STATS] = WebhookStats()
    routes = [
        *dialects.routes(service.clients, vocab, settings.default_dialect, guest_key),
        *webhooks.routes(),
        *endpoints.routes(),
        *admin_keys.routes(),
        *admin_usage.routes(),
    ]
    register(app.router, routes, metrics, served)
    if metrics is not None:
        app[METRICS] = metrics
        metrics.attach(service.cache_stats, pacer.stats, app[WEBHOOK_STATS].outcomes)
        router = service.operations.router
        metrics.watch_cooldowns(
            router.cooling, lambda: {(c.provider, c.reason) for c in router.cooldowns()}
        )
        metrics.routing.watch(service.code_rates.snapshot)
        for provider in providers:
            metrics.known_series(
                provider.name,
                provider.endpoints,
                sorted(set(vocab.to_api.values())),
                sorted({g.name for g in provider.limits.values()}),
            )

    async def lifecycle(_app: web.Application) -> AsyncIterator[None]:
        tasks = []
        if metrics is not None:
            tasks.append(asyncio.create_task(loop_lag.probe(metrics.loop_lag.observe)))
        pushed: Callable[[], bool] = lambda: False  # noqa: E731 - keys are read each second
        if isinstance(store, PostgresStore):
            feed = store.follow_changes(service.upkeep.keys_changed)
            tasks.append(asyncio.create_task(feed))
            pushed = lambda: store.changes.live  # noqa: E731 - a revocation is pushed
        if settings.managed_keys:
            await service.upkeep.refresh_keys()
            tasks.append(asyncio.create_task(upkeep(service.upkeep, clock, pushed)))
        if redis is not None or isinstance(store, PostgresStore):
            syncs = []
            if caches is not None:
                syncs.append(caches.sync)
            if redis is not None:
                shared = SharedCooldowns(redis, settings.redis_prefix, service.operations.router)
                syncs.append(lambda: shared.sync(clock.now()))
                tasks.append(asyncio.create_task(shared.follow()))
            tasks.append(asyncio.create_task(fleet_upkeep(store, syncs)))
        if isinstance(pacer, RedisPacer):
            tasks.append(asyncio.create_task(pacer.keep_alive()))
        yield
        for task in tasks:
            task.cancel()
        if isinstance(pacer, RedisPacer):
            await pacer.leave()
        await service.upkeep.close()
        if redis is not None:
            await redis.aclose()
        await sender.close()
        await upstreams.aclose()
        served.close()

    app.cleanup_ctx.append(lifecycle)
    return app


async def upkeep(work: Upkeep, clock: Clock, pushed: Callable[[], bool]) -> None:
    """Issued tenants' background work, every second: keys from the store (at once when
    the store pushes a change, as PostgreSQL does to every replica; each second while
    nothing is pushed, so a `keys revoke` from the CLI takes effect within it; every
    KEYS_CATCH_UP_SECONDS anyway), codes due for their webhooks, then rentals that ended
    unasked (every SWEEP_SECONDS of the service's clock, for their refunds)."""
    swept = refreshed = clock.now()
    while True:
        told = await work.keys_told(KEYS_REFRESH_SECONDS)
        if told or not pushed() or clock.now() - refreshed >= KEYS_CATCH_UP_SECONDS:
            refreshed = clock.now()
            try:
                await work.refresh_keys()
            except Exception:  # a store hiccup: the last snapshot stands until the next one
                log.exception("issued keys could not be read")
        try:
            await work.deliver()
        except Exception:
            log.exception("webhook deliveries could not be read")
        if clock.now() - swept >= SWEEP_SECONDS:
            swept = clock.now()
            try:
                await work.sweep_ended()
            except Exception:
                log.exception("ended rentals could not be swept")


async def fleet_upkeep(
    store: Store,
    syncs: Sequence[Callable[[], Awaitable[None]]],
) -> None:
    """A replica's share of the fleet's work: take in what the others shared (negative
    cache entries, routing cooldowns) every HEARTBEAT_SECONDS, and mark pending purchases
    of replicas that died as unknown (every minute)."""
    beats = 0
    while True:
        for sync in syncs:
            await sync()
        if isinstance(store, PostgresStore) and beats % STALE_EVERY == 0:
            try:
                await store.mark_stale()
            except DomainError as down:
                log.warning("stale purchases not marked: %s", down)
        beats += 1
        await asyncio.sleep(HEARTBEAT_SECONDS)


def timeouts(settings: Settings) -> Timeouts:
    return Timeouts(
        purchase=settings.purchase_timeout_seconds,
        change=max(settings.read_timeout_seconds, 10.0),
        read=settings.read_timeout_seconds,
        listing=max(settings.read_timeout_seconds, 10.0),
    )

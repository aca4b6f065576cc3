"""Every business rule of smsproxy, composed once, behind four façades over one context:

- `clients`: what the dialects call for a client tool (clients.py);
- `operations`: what an operator asks of a running proxy, issued tenants included
  (operations.py, tenants/admin.py);
- `vendor_webhook`: codes a vendor pushes (vendor_webhook.py);
- `upkeep`: the service's background work and its end (upkeep.py).

This module only composes: every rule lives in the module named for it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace

from proxy.local.caching import CacheStats, LocalCaches
from proxy.local.pacing import Pacer as LocalPacer
from proxy.local.rates import TenantRates
from proxy.ports import (
    Caches,
    Clock,
    Observer,
    Pacer,
    Provider,
    RateLimits,
    Store,
    WebhookSender,
)
from proxy.router import Router
from proxy.service.balances import Balances
from proxy.service.catalog import Catalog
from proxy.service.clients import Clients
from proxy.service.code_rates import CodeRates
from proxy.service.context import Context, ServiceSettings
from proxy.service.identity import Identity
from proxy.service.journal import Journal
from proxy.service.long_rentals import LongRentals
from proxy.service.movements import Movements
from proxy.service.operations import Operations
from proxy.service.outbox import Outbox, Render
from proxy.service.ranking import Ranking
from proxy.service.reconcile import Reconciler
from proxy.service.rent import Renter
from proxy.service.status import StatusReader
from proxy.service.tenants import issued_keys
from proxy.service.tenants.admin import TenantAdmin
from proxy.service.tenants.budget import Budgets
from proxy.service.upkeep import Upkeep
from proxy.service.upstream import Gateway
from proxy.service.vendor_webhook import VendorWebhook
from proxy.telemetry.null_observer import NullObserver

__all__ = ["Clients", "Operations", "Service", "ServiceSettings", "Upkeep", "VendorWebhook"]


class Service:
    def __init__(
        self,
        providers: Provider | Sequence[Provider],
        store: Store,
        clock: Clock,
        identity: Identity,
        settings: ServiceSettings | None = None,
        pacer: Pacer | None = None,
        observer: Observer | None = None,
        caches: Caches | None = None,
        *,
        render: Render | None = None,
        sender: WebhookSender | None = None,
        rates: RateLimits | None = None,
    ) -> None:
        """`render` and `sender` make tenants' webhook deliveries (none without them)."""
        listed = [providers] if not isinstance(providers, Sequence) else list(providers)
        stats = getattr(caches, "stats", None) or CacheStats()  # a fleet's caches count their own
        ports = Context(
            {p.name: p for p in listed},
            store,
            clock,
            caches or LocalCaches(clock.now, stats),
            settings or ServiceSettings(),
            pacer or LocalPacer(),
            stats,
            observer=observer or NullObserver(),
            keys=identity,
            rates=rates or TenantRates(clock.now),
        )
        # what follows a saved change is known before the context the use cases share
        moves = Movements(
            clock.now,
            ports.settings.unknown_purchase_hold_seconds,
            lambda provider, owner: f"{provider}:{identity.account_id(provider, owner)}",
            lambda provider: ports.providers[provider].rules.refunds_unused,
        )
        budgets = Budgets(ports)
        outbox = Outbox(
            ports,
            identity.issued,
            lambda tenant: issued_keys.signing_key(identity, tenant),
            render,
            sender,
        )
        self.code_rates = CodeRates()  # read by the metrics when scraped
        ctx = replace(
            ports,
            followups=(
                budgets.on_change,
                moves.on_change,
                outbox.code_arrived,
                self.code_rates.on_change,
            ),
        )
        seed = ctx.settings.routing_seed
        router = Router(
            clock.now, random.Random(seed) if seed is not None else None, ctx.settings.cooldowns
        )
        gateway = Gateway(ctx)
        catalog = Catalog(ctx, gateway)
        reader = StatusReader(ctx, gateway)
        reconciler = Reconciler(ctx, gateway, catalog, budgets, moves)
        journal = Journal(
            ctx,
            reconciler,
            budgets,
            moves,
            lambda account: gateway.call(account, "balance", lambda p, key: p.balance(key)),
        )
        ranking = Ranking(ctx, catalog, self.code_rates)
        renter = Renter(ctx, gateway, catalog, journal, router, budgets, ranking)
        long_rentals = LongRentals(ctx, gateway, budgets, moves)
        balances = Balances(ctx, gateway, journal, budgets, router)
        self.clients = Clients(
            ctx, identity, gateway, catalog, reader, journal, renter, balances, long_rentals
        )
        self.upkeep = Upkeep(ctx, identity, reader, long_rentals, outbox)
        tenants = TenantAdmin(store, identity, clock, list(ctx.providers), self.upkeep.refresh_keys)
        self.operations = Operations(ctx, tenants, budgets, router, renter)
        self.vendor_webhook = VendorWebhook(ctx, identity, reconciler)
        self.cache_stats = stats  # read by the metrics when scraped

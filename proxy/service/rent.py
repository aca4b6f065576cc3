"""Renting: ask the provider in its paced turn, keep its answer durably, then answer.

Purchases are never coalesced and never retried when their outcome is unknown. Orders
known to fail (a multi-service combination the vendor just refused; optionally an
out-of-stock filter set) are answered at once without spending the rate budget.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from dataclasses import replace
from decimal import Decimal

from proxy.domain import (
    Activation,
    ActivationStatus,
    Order,
    Receipt,
    RentedNumber,
    Tenant,
    UpstreamAccount,
)
from proxy.errors import (
    CombinationFailed,
    CountryNotAllowed,
    DomainError,
    MaxPriceExceeded,
    NoNumbers,
    NumberTaken,
    UpstreamUnavailable,
    WrongCarrier,
)
from proxy.ports import NegativeCache
from proxy.router import Router
from proxy.service.catalog import Catalog
from proxy.service.context import Context
from proxy.service.journal import Intent, Journal
from proxy.service.ranking import Ranking
from proxy.service.tenants.budget import Budgets, order_ceiling
from proxy.service.upstream import Gateway

log = logging.getLogger("smsproxy.rent")


def order_key(scope: str, order: Order) -> tuple[Hashable, ...]:
    """Negative-cache key: scope, sorted services, carrier, area codes and flags."""
    return (
        scope,
        tuple(sorted(order.services)),
        order.carrier,
        order.keep_carrier,
        tuple(sorted(order.area_codes)),
        order.lock_area_code,
    )


def intent_for(order: Order, *, many: bool, order_ref: str | None) -> Intent:
    return Intent(
        "rent_many" if many else "rent",
        order.services,
        (order.carrier, order.keep_carrier, order.area_codes, order.lock_area_code),
        order_ref,
    )


class Renter:
    def __init__(
        self,
        ctx: Context,
        gateway: Gateway,
        catalog: Catalog,
        journal: Journal,
        router: Router,
        budgets: Budgets,
        ranking: Ranking,
    ) -> None:
        self._ctx = ctx
        self._ranking = ranking
        self._budgets = budgets
        self._gateway = gateway
        self._catalog = catalog
        self._journal = journal
        self._router = router
        s = ctx.settings
        self.failed_combinations: NegativeCache[tuple[Hashable, ...]] = ctx.caches.negative(
            "combinations", s.combination_ttl_seconds
        )
        self.out_of_stock: NegativeCache[tuple[Hashable, ...]] = ctx.caches.negative(
            "out_of_stock", s.out_of_stock_ttl_seconds
        )

    async def rent(
        self, tenant: Tenant, order: Order, *, many: bool, order_ref: str | None = None
    ) -> list[Activation]:
        """At each of the tenant's accounts in turn until one sells, as the router's
        failover table allows (never past a purchase whose outcome is unknown)."""
        try:
            return await self._rent(tenant, order, many, order_ref)
        finally:
            for account in self._router.funds_probes(tenant.accounts):
                self._ctx.spawn(self._read_funds(account))

    async def _rent(
        self, tenant: Tenant, order: Order, many: bool, order_ref: str | None
    ) -> list[Activation]:
        intent = intent_for(order, many=many, order_ref=order_ref)
        policy = tenant.policy
        if policy is not None and policy.countries and order.country not in policy.countries:
            self._ctx.observer.tenant_refused(policy.tenant, "country")
            raise CountryNotAllowed()
        accounts = await self._ordered(tenant, order)
        observer = self._ctx.observer
        if len(accounts) == 1:  # nothing to fail over to: no cooldown bookkeeping
            bought = await self._rent_at(tenant, accounts[0], order, intent, many)
            observer.routed(accounts[0].provider, "first")
            return bought
        refusal: DomainError = UpstreamUnavailable("no provider account")
        for tried, account in enumerate(accounts):
            try:
                bought = await self._rent_at(tenant, account, order, intent, many)
            except DomainError as error:
                if not self._router.failed(account, error):
                    raise
                observer.failed_over(account.provider, type(error).__name__)
                refusal = error
                continue
            self._router.succeeded(account)
            observer.routed(account.provider, "failover" if tried else "first")
            return bought
        raise refusal

    async def _read_funds(self, account: UpstreamAccount) -> None:
        """An account refused for want of funds: has its balance risen since?"""
        try:
            balance = await self._gateway.call(account, "balance", lambda p, key: p.balance(key))
        except DomainError as error:
            log.info("balance of %s unread: %s", account.provider, type(error).__name__)
            return
        self._router.funds_seen(account, balance)

    async def _ordered(self, tenant: Tenant, order: Order) -> list[UpstreamAccount]:
        """The accounts a purchase tries, in turn: those whose provider sells the order,
        not cooling down (unless all are), in the tenant's (or the global) strategy."""
        serving = [a for a in tenant.accounts if self._sells(a, order)]
        if not serving:
            raise NoNumbers("no provider sells it")  # D1: tools move on to another country
        accounts = self._router.candidates(serving)
        routing = tenant.routing or self._ctx.settings.routing
        if routing == "cheapest" and len(accounts) > 1:
            return await self._ranking.cheapest(accounts, order)
        if routing == "value" and len(accounts) > 1:
            return await self._ranking.by_value(accounts, order)
        if routing == "weighted" and len(accounts) > 1:
            return self._router.weighted(accounts)
        return accounts

    def _sells(self, account: UpstreamAccount, order: Order) -> bool:
        """The account's provider sells numbers of the order's country and services."""
        provider = self._gateway.provider(account.provider)
        allowed = provider.services
        if allowed is not None and not set(order.services) <= allowed:
            return False
        return order.country in provider.countries

    async def _rent_at(
        self,
        tenant: Tenant,
        account: UpstreamAccount,
        order: Order,
        intent: Intent,
        many: bool,
    ) -> list[Activation]:
        # the vendor remembers a failed combination per account (so does the sandbox);
        # stock is the same for every account of a provider
        key = order_key(account.name if many else account.provider, order)
        negative = self.failed_combinations if many else self.out_of_stock
        if negative.hit(key):
            raise NoNumbers("known to fail")

        async def buy() -> list[RentedNumber]:
            try:
                return await self._with_order_rules(account, order, many)
            except CombinationFailed:
                self.failed_combinations.remember(key)
                raise
            except NoNumbers:
                negative.remember(key)
                raise

        price = await self.price(tenant, account, order)
        if price is not None and price != order.max_price:
            order = replace(order, max_price=price)  # the vendor never charges past the hold
        return await self._journal.purchase(
            tenant,
            account,
            intent,
            buy,
            lambda r: keep(self._ctx, self._catalog, tenant, account, r),
            price,
        )

    async def price(
        self, tenant: Tenant, account: UpstreamAccount, order: Order, *, specific: bool = False
    ) -> Decimal | None:
        """An issued tenant's purchase: the most it may cost (budgets.Budgets.bound)."""
        if tenant.name is None:
            return None
        budgeted = tenant.policy is not None and tenant.policy.budgeted
        offers = await self._catalog.offers(account) if budgeted else self._catalog.peek(account)
        rules = self._gateway.provider(account.provider).rules
        ceiling = order_ceiling(offers, order, rules, specific=specific)
        try:
            bound = self._budgets.bound(tenant, order, ceiling)
        except MaxPriceExceeded:
            self._ctx.observer.tenant_refused(tenant.name, "price")
            raise
        return bound if bound is not None else ceiling

    async def _attempt(
        self, account: UpstreamAccount, order: Order, many: bool
    ) -> list[RentedNumber]:
        if many:
            return list(
                await self._gateway.call(
                    account, "rent_many", lambda p, key: p.rent_many(key, order)
                )
            )
        return [await self._gateway.call(account, "rent", lambda p, key: p.rent(key, order))]

    async def _with_order_rules(
        self, account: UpstreamAccount, order: Order, many: bool
    ) -> list[RentedNumber]:
        """Vendor quirks the client should not see (D6, 408) each get exactly one retry:
        the vendor answered, so nothing was bought."""
        try:
            try:
                rented = await self._attempt(account, order, many)
            except WrongCarrier:
                order = replace(order, carrier=None, keep_carrier=False)
                rented = await self._attempt(account, order, many)
        except NumberTaken:
            rented = await self._attempt(account, order, many)  # a second race is the answer
        carrier = order.carrier if order.carrier and order.keep_carrier else None
        # the vendor sold on that carrier or not at all; in the order's country, always
        return [replace(r, carrier=carrier, country=order.country) for r in rented]


async def keep(
    ctx: Context, catalog: Catalog, tenant: Tenant, account: UpstreamAccount, r: RentedNumber
) -> Activation:
    """Store the rented number before anyone is told about it, and before any other
    vendor call: a bought number must not wait on a price list to become durable, and
    its answer does not wait for one either (the catalogue fact is learnt afterwards)."""
    now = ctx.clock.now()
    await _retire_reused_id(ctx, account.provider, r.upstream_id)
    multiple_sms = catalog.known_multiple_sms(account, r.service)
    activation = Activation(
        id=0,
        provider=account.provider,
        upstream_id=r.upstream_id,
        owner=tenant.owner,
        number=r.number,
        service=r.service,
        cost=r.cost,
        status=ActivationStatus.WAITING,
        created_at=now,
        end_time=r.end_time,
        multiple_sms=bool(multiple_sms),
        checked_at=now,
        carrier=r.carrier,
        country=r.country,
    )
    stored = await ctx.store.activations.add(activation)
    if multiple_sms is None:
        ctx.spawn(_learn_multiple_sms(ctx, catalog, account, stored.id))
    ctx.observer.rented(account.provider, r.service, r.cost)
    # an issued tenant never sees the vendor account's balance: its answers ask for its own
    shown = r.balance_after if tenant.name is None else None
    return stored.evolve(receipt=Receipt(r.service_name, shown, r.returning_customer))


async def _learn_multiple_sms(
    ctx: Context, catalog: Catalog, account: UpstreamAccount, activation_id: int
) -> None:
    """Whether the service takes another SMS, from the (cached) price list; on failure
    the next purchase of the service learns it, and until then it counts as one SMS."""
    stored = await ctx.store.activations.get(activation_id)
    if stored is None or not await catalog.multiple_sms(account, stored.service):
        return
    current = await ctx.store.activations.get(activation_id) or stored
    await ctx.store.activations.put(current.evolve(multiple_sms=True))


async def _retire_reused_id(ctx: Context, provider: str, upstream_id: int) -> None:
    """The vendor handed out an id the store already holds: its world was reset (or the
    proxy points at another account's vendor). The vendor's word is the current one: the
    old activation can no longer be asked about, so it ends, loudly."""
    held = await ctx.store.activations.by_upstream(provider, upstream_id)
    if held is None:
        return
    log.error(
        "vendor %s reused rental id %s held by activation %s (%s); the old one is closed",
        provider,
        upstream_id,
        held.id,
        held.status.value,
    )
    if held.status.is_open:
        await ctx.store.activations.put(held.evolve(status=ActivationStatus.EXPIRED))

"""Every business rule of smsproxy, behind one façade the dialects call."""

from __future__ import annotations

import asyncio
import hmac
import random
from collections.abc import Awaitable, Sequence
from decimal import Decimal
from typing import Any

from proxy.domain import (
    Activation,
    ActivationStatus,
    LedgerEntry,
    LedgerReason,
    ManagedKey,
    Offer,
    Order,
    Purchase,
    PurchaseState,
    PushedCode,
    RentedNumber,
    Tenant,
    TenantPolicy,
)
from proxy.errors import (
    DomainError,
    DuplicateOrder,
    OutcomeUnknown,
    TenantRateLimited,
    UpstreamError,
)
from proxy.local.caching import CacheStats, LocalCaches
from proxy.local.pacing import Pacer as LocalPacer
from proxy.ports import ActivationStore, Cache, Caches, Clock, Flight, Observer, Pacer, Provider
from proxy.router import Router
from proxy.service import lifecycle
from proxy.service.catalog import Catalog
from proxy.service.context import LISTING_WAIT, Context, ServiceSettings
from proxy.service.identity import Identity, webhook_token
from proxy.service.journal import Intent, Journal
from proxy.service.long_rentals import LongRentals
from proxy.service.outbox import Outbox
from proxy.service.reconcile import Reconciler
from proxy.service.rent import Renter, keep
from proxy.service.status import StatusReader
from proxy.service.tenants import issued_keys as keys
from proxy.service.tenants.budget import Budgets
from proxy.service.tenants.rates import TenantRates
from proxy.service.transitions import learn_code
from proxy.service.upstream import Gateway
from proxy.telemetry.null_observer import NullObserver

__all__ = ["Service", "ServiceSettings"]
BALANCE_HINT_SECONDS = 5.0
BALANCE_HINT_WAIT = 1.0
ZERO = Decimal("0.00")
SWEEP_LIMIT = 100  # rentals asked about per sweep (each takes a paced status call)
SWEEP_GRACE_SECONDS = 5.0  # past its end time, a rental is the vendor's to have closed


class Service:
    def __init__(
        self,
        providers: Provider | Sequence[Provider],
        store: ActivationStore,
        clock: Clock,
        identity: Identity,
        settings: ServiceSettings | None = None,
        pacer: Pacer | None = None,
        observer: Observer | None = None,
        caches: Caches | None = None,
    ) -> None:
        listed = [providers] if not isinstance(providers, Sequence) else list(providers)
        stats = getattr(caches, "stats", None) or CacheStats()  # a fleet's caches count their own
        self._ctx = Context(
            {p.name: p for p in listed},
            store,
            clock,
            caches or LocalCaches(clock.now, stats),
            settings or ServiceSettings(),
            pacer or LocalPacer(),
            stats,
            observer=observer or NullObserver(),
        )
        self._identity = identity
        self._rates = TenantRates(clock.now)
        self._gateway = Gateway(self._ctx)
        self._catalog = Catalog(self._ctx, self._gateway)
        self._reader = StatusReader(self._ctx, self._gateway)
        self.budgets = Budgets(self._ctx)
        self._reconciler = Reconciler(self._ctx, self._gateway, self._catalog, self.budgets)
        self._journal = Journal(self._ctx, self._reconciler, self.budgets)
        self.outbox = Outbox(self._ctx, self._identity.issued, self.signing_key)
        self._ctx.followups += [self._refund_when_ended, self.outbox.code_arrived]
        seed = self._ctx.settings.routing_seed
        self.router = Router(clock.now, random.Random(seed) if seed is not None else None)
        self._renter = Renter(
            self._ctx, self._gateway, self._catalog, self._journal, self.router, self.budgets
        )
        self.long_rentals = LongRentals(self._ctx, self._gateway, self.budgets)
        self._recent_balances: Cache[str, Decimal] = self._ctx.caches.cache(
            "balance", ttl=BALANCE_HINT_SECONDS
        )
        self._balances: Flight[str, Decimal] = self._ctx.caches.flight("balance")

    @property
    def clock(self) -> Clock:
        return self._ctx.clock

    @property
    def pacer(self) -> Pacer:
        return self._ctx.pacer

    @property
    def cache_stats(self) -> CacheStats:
        return self._ctx.cache_stats

    async def activation_counts(self) -> dict[str, int]:
        return await self._ctx.store.counts()

    async def long_rental_counts(self) -> dict[str, int]:
        return await self._ctx.store.long_counts()

    def tenant(self, api_key: str | None) -> Tenant:
        """Who calls; `TenantRateLimited` past an issued tenant's request rate."""
        tenant = self._identity.tenant(api_key)
        policy = tenant.policy
        if policy is not None and policy.rate_per_second:
            # replicas each allow their share: clients spread over them get the rate
            share = policy.rate_per_second / max(getattr(self._ctx.pacer, "alive", 1), 1)
            wait = self._rates.admit(policy.tenant, share)
            if wait:
                self._ctx.observer.tenant_refused(policy.tenant, "rate")
                raise TenantRateLimited(wait)
        return tenant

    async def issue_key(
        self,
        tenant: str,
        providers: Sequence[str],
        expires_in: float | None,
        policy: keys.PolicyChange | None = None,
    ) -> tuple[str, ManagedKey]:
        """A new key, usable at once in this process (others read it within a second);
        `policy`, when given, is applied to the tenant first."""
        made = await keys.create(
            self._ctx.store,
            self._identity,
            tenant,
            providers,
            self.clock.now(),
            known=self._ctx.providers,
            expires_in=expires_in,
            policy=policy,
        )
        await self.refresh_keys()
        return made

    async def set_policy(self, tenant: str, change: keys.PolicyChange) -> TenantPolicy:
        updated = await keys.set_policy(self._ctx.store, tenant, change)
        await self.refresh_keys()
        return updated

    async def policies(self) -> dict[str, TenantPolicy]:
        return await self._ctx.store.policies()

    async def ledger(self, tenant: str | None, since: float | None) -> list[LedgerEntry]:
        return await self._ctx.store.ledger_entries(tenant, since)

    async def adjust(self, tenant: str, amount: Decimal, note: str) -> None:
        """An operator's correction: spend (or, negative, credit) in the tenant's ledger."""
        entry = LedgerEntry(tenant, LedgerReason.ADJUST, amount, self.clock.now(), note=note)
        await self._ctx.store.ledger_add(entry)

    async def budget_left(self, tenant: str) -> Decimal | None:
        policy = (await self._ctx.store.policies()).get(tenant)
        left = await self.budgets.left(policy) if policy is not None else {}
        return min(left.values()) if left else None

    async def budgets_left(self) -> dict[str, dict[str, Decimal]]:
        """Each budgeted tenant's budget left, per period (for the metrics page)."""
        policies = await self._ctx.store.policies()
        return {name: await self.budgets.left(p) for name, p in policies.items() if p.budgeted}

    async def tenant_gauges(self) -> tuple[dict[str, dict[str, Decimal]], int]:
        """Budgets left per tenant and period, and deliveries pending (for /metrics)."""
        pending = (await self._ctx.store.outbox_counts()).get("pending", 0)
        return await self.budgets_left(), pending

    def signing_key(self, tenant: str) -> str:
        return keys.signing_key(self._identity, tenant)

    async def rotate_key(self, key_id: str, grace: float) -> tuple[str, ManagedKey] | None:
        made = await keys.rotate(self._ctx.store, self._identity, key_id, self.clock.now(), grace)
        await self.refresh_keys()
        return made

    async def revoke_key(self, key_id: str) -> ManagedKey | None:
        revoked = await keys.revoke(self._ctx.store, key_id, self.clock.now())
        await self.refresh_keys()
        return revoked

    async def issued_keys(self) -> list[ManagedKey]:
        return await self._ctx.store.keys()

    async def refresh_keys(self) -> bool:
        """Take the issued keys from the store again (revocations, expiries, new keys)."""
        store = self._ctx.store
        issued = await store.keys()
        changed = self._identity.use_managed(issued, self._ctx.clock.now(), await store.policies())
        if changed:
            self._ctx.observer.tenants_known(sorted({k.tenant for k in issued}))
        return changed

    async def shown_balance(self, tenant: Tenant) -> Decimal | None:
        """What an issued tenant's balance reads: its budget left; without a budget, 0
        unless its policy shows it its accounts' balance (None: the vendor's it is)."""
        if tenant.name is None:
            return None
        left = await self.budgets.remaining(tenant)
        if left is not None:
            return left
        return None if tenant.policy is not None and tenant.policy.upstream_balance else ZERO

    async def balance(self, tenant: Tenant) -> Decimal:
        shown = await self.shown_balance(tenant)
        if shown is not None:
            return shown
        return await self._balances.do(tenant.owner, lambda: self._witnessed_balance(tenant))

    async def _witnessed_balance(self, tenant: Tenant) -> Decimal:
        """Read with no purchase under way, a balance is what later proves a purchase
        whose outcome is unknown was never charged (reconcile.py)."""
        account = self._gateway.primary(tenant)
        token = self._journal.balances.quiet(account.name)
        value = await self._gateway.call(account, "balance", lambda p, key: p.balance(key))
        self._journal.balances.saw(account.name, value, token)
        self.router.funds_seen(account, value)
        return value

    async def recent_balance(self, tenant: Tenant) -> Decimal:
        """A balance at most a few seconds old."""

        async def load() -> Decimal:
            return await self.balance(tenant)

        shown = await self.shown_balance(tenant)  # the store's word: no need to keep it
        if shown is not None:
            return shown
        return await self._recent_balances.get(tenant.owner, load)

    async def balance_hint(self, tenant: Tenant) -> Decimal | None:
        """For answers that merely mention the balance (a rental's status): a recent one
        if the vendor gives it quickly, else the last one seen, else None. Never the
        reason an answer fails or waits (the read goes on behind for the next answer)."""
        try:
            return await asyncio.wait_for(self.recent_balance(tenant), BALANCE_HINT_WAIT)
        except (UpstreamError, TimeoutError):
            return self._recent_balances.peek(tenant.owner)

    async def listing_balance(self, tenant: Tenant) -> Decimal:
        """For listings that carry the balance (5sim's profile): a recent one if the
        vendor gives it within LISTING_WAIT, else the last one seen (a slow read goes on
        behind, a failed one is answered so); only when none was ever seen does the
        answer wait for the vendor."""
        shown = await self.shown_balance(tenant)
        if shown is not None:
            return shown
        reading = asyncio.ensure_future(self.recent_balance(tenant))
        await asyncio.wait({reading}, timeout=LISTING_WAIT)
        if reading.done() and reading.exception() is None:
            return reading.result()
        last = self._recent_balances.peek(tenant.owner)
        if last is None:
            return await reading  # never seen: the vendor's answer (or its error) it is
        reading.add_done_callback(_quietly)
        return last

    def known_offers(self) -> Sequence[Offer] | None:
        """The price list some client's key read lately (for reads made without a key);
        None while none has."""
        return self._catalog.last_loaded

    async def offers(self, tenant: Tenant) -> Sequence[Offer]:
        return await self._catalog.offers(self._gateway.primary(tenant))

    async def rent(self, tenant: Tenant, order: Order, order_ref: str | None = None) -> Activation:
        """`order_ref` is the client's idempotency key: it is claimed before the purchase
        and released only when the vendor refused it, so a retry of a purchase whose
        outcome is unknown is refused instead of buying twice."""
        if order_ref is None:
            return (await self._renter.rent(tenant, order, many=False))[0]
        store = self._ctx.store
        if not await store.claim_order_ref(tenant.owner, order_ref):
            # an unknown earlier attempt is reconciled, so its number becomes reachable
            earlier = await self._journal.by_ref(tenant, order_ref)
            if earlier is None or earlier.state is not PurchaseState.VOID:
                raise DuplicateOrder()
            await store.release_order_ref(tenant.owner, order_ref)
            if not await store.claim_order_ref(tenant.owner, order_ref):
                raise DuplicateOrder()
        try:
            return (await self._renter.rent(tenant, order, many=False, order_ref=order_ref))[0]
        except OutcomeUnknown:
            raise  # it may have been sold: the reference stays taken
        except DomainError:
            await store.release_order_ref(tenant.owner, order_ref)
            raise

    async def rent_many(self, tenant: Tenant, order: Order) -> list[Activation]:
        return await self._renter.rent(tenant, order, many=True)

    def status(self, tenant: Tenant, activation_id: int | None) -> Awaitable[Activation]:
        """The reader's own coroutine, not one wrapped in another (the hottest call)."""
        return self._reader.read(tenant, activation_id)

    async def active(self, tenant: Tenant) -> list[Activation]:
        """From the store within LISTING_WAIT whatever the vendor does: the activations
        due for a poll are refreshed together, and what has come back by then is answered;
        the rest goes on behind the answer (within the same per-activation poll budget)."""
        current = await self._ctx.store.open_for(tenant.owner)
        due = [a for a in current if self._reader.due(a)]
        if due:
            refreshing = self._ctx.spawn(self._reader.refresh_all(tenant, due))
            await asyncio.wait({refreshing}, timeout=LISTING_WAIT)
            current = await self._ctx.store.open_for(tenant.owner)
        return current

    async def mark_ready(self, tenant: Tenant, activation_id: int | None) -> Activation:
        return await lifecycle.mark_ready(self._ctx, self._gateway, tenant, activation_id)

    async def request_another(self, tenant: Tenant, activation_id: int | None) -> Activation:
        return await lifecycle.request_another(
            self._ctx, self._gateway, self._reader, self._catalog, tenant, activation_id
        )

    async def complete(self, tenant: Tenant, activation_id: int | None) -> Activation:
        return await lifecycle.complete(
            self._ctx, self._gateway, self._reader, tenant, activation_id
        )

    async def cancel(self, tenant: Tenant, activation_id: int | None) -> Activation:
        return await lifecycle.cancel(self._ctx, self._gateway, self._reader, tenant, activation_id)

    async def ban(self, tenant: Tenant, activation_id: int | None) -> Activation:
        """The number was already used elsewhere: cancel upstream, remember it as banned."""
        return await lifecycle.cancel(
            self._ctx,
            self._gateway,
            self._reader,
            tenant,
            activation_id,
            final=ActivationStatus.BANNED,
        )

    async def reuse(self, tenant: Tenant, service: str, number: str) -> Activation:
        """The same number again: re-rent the owner's last rental of it (the vendor's
        cheaper path), else rent that specific number."""
        previous = await self._ctx.store.last_on_number(tenant.owner, number, service)
        if previous is not None and not previous.status.is_open:
            return await self.extra(tenant, previous.id)
        return await self.rent_specific(tenant, number, service)

    async def rent_specific(
        self, tenant: Tenant, number: str, service: str, max_price: Decimal | None = None
    ) -> Activation:
        account = self._gateway.primary(tenant)  # a number belongs to one vendor's pool
        order = Order((service,), max_price=max_price)
        price = await self._renter.price(tenant, account, order, specific=True)
        bound = max_price if price is None else price

        async def buy() -> list[RentedNumber]:
            return [
                await self._gateway.call(
                    account,
                    "rent_specific",
                    lambda p, key: p.rent_specific(key, number, service, bound),
                )
            ]

        intent = Intent("rent_specific", (service,), (number, max_price))
        bought = await self._journal.purchase(
            tenant,
            account,
            intent,
            buy,
            lambda r: keep(self._ctx, self._catalog, tenant, account, r),
            price,
        )
        return bought[0]

    async def forward(
        self, tenant: Tenant, method: str, path: str, body: dict[str, Any] | None
    ) -> tuple[int, Any]:
        """A vendor-native call outside the domain (long rentals, auctions), paced in the
        default group; the vendor owns those records and their ids."""
        return await self._gateway.call(
            self._gateway.primary(tenant),
            "native",
            lambda p, key: p.forward(key, method, path, body),
        )

    async def history(
        self, tenant: Tenant, limit: int, offset: int, newest_first: bool
    ) -> tuple[list[Activation], int]:
        return await self._ctx.store.history(tenant.owner, limit, offset, newest_first)

    async def max_prices(self, tenant: Tenant) -> dict[str, Decimal]:
        return await self._ctx.store.max_prices(tenant.owner)

    async def set_max_price(self, tenant: Tenant, service: str, price: Decimal) -> None:
        await self._ctx.store.set_max_price(tenant.owner, service, price)

    async def delete_max_price(self, tenant: Tenant, service: str) -> bool:
        return await self._ctx.store.delete_max_price(tenant.owner, service)

    async def quote_extra(
        self, tenant: Tenant, activation_id: int | None
    ) -> tuple[Activation, Decimal]:
        parent = await lifecycle.quote_extra(self._ctx, tenant, activation_id)
        rules = self._ctx.providers[parent.provider].rules
        return parent, lifecycle.rerent_cost(parent, rules)

    async def extra(self, tenant: Tenant, activation_id: int | None) -> Activation:
        return await lifecycle.extra(
            self._ctx, self._gateway, self._catalog, self._journal, tenant, activation_id
        )

    def countries_sold(self) -> list[str]:
        """Every country (ISO 3166) some configured provider sells numbers of, sorted."""
        return sorted({c for p in self._ctx.providers.values() for c in p.countries})

    def provider_names(self) -> list[str]:
        return list(self._ctx.providers)

    async def peek_upstream(self, provider: str, upstream_id: int) -> Activation | None:
        return await self._ctx.store.by_upstream(provider, upstream_id)

    def read_webhook(self, provider: str, body: object) -> PushedCode | None:
        return self._ctx.providers[provider].read_webhook(body)

    def webhook_token(self, provider: str, account_id: str) -> str:
        """The path token of one upstream account's webhook URL. A webhook can touch only
        the rentals of the account whose token it carries: one tenant's vendor account
        cannot plant a code in another's rental."""
        return webhook_token(self._ctx.settings.webhook_secret or "", provider, account_id)

    def _token_fits(self, provider: str, owner: str, token: str) -> bool:
        expected = self.webhook_token(provider, self._identity.account_id(provider, owner))
        return hmac.compare_digest(expected.encode(), token.encode())

    async def code_arrived(
        self, provider: str, token: str, pushed: PushedCode
    ) -> Activation | None:
        """A code pushed by a provider (webhook) through one account's URL. A rental the
        store does not hold is adopted into the unknown purchase of that account it fits,
        if one does; anything else, another account's rental included, is ignored."""
        activation = await self._ctx.store.by_upstream(provider, pushed.upstream_id)
        if activation is not None and not self._token_fits(provider, activation.owner, token):
            return None
        if activation is None and pushed.rental is not None:
            activation = await self._reconciler.adopt_pushed(
                provider, pushed.rental, lambda owner: self._token_fits(provider, owner, token)
            )
        if activation is None:
            return None
        updated = learn_code(activation, pushed.code, self._ctx.clock.now())
        if updated != activation:
            await self._ctx.save(activation, updated)
        return updated

    async def sweep_ended(self, limit: int = SWEEP_LIMIT) -> int:
        """Ask the vendor about issued tenants' rentals whose time is over and that nobody
        has asked about since: their refunds (and long rentals' auto-renewals) reach the
        ledger without a client's poll. How many were asked about."""
        issued = self._identity.issued()
        before = self._ctx.clock.now() - SWEEP_GRACE_SECONDS
        found = await self._ctx.store.open_ended(list(issued), before, limit)
        ended = [a for a in found if self._reader.due(a)]
        await asyncio.gather(*(self._reader.refresh(issued[a.owner], a, quiet=True) for a in ended))
        long_ended = await self.long_rentals.sweep_ended(issued, SWEEP_GRACE_SECONDS, limit)
        return len(ended) + long_ended

    async def _refund_when_ended(self, before: Activation, after: Activation) -> None:
        if before.status.is_open and not after.status.is_open:
            await self.budgets.ended(after)

    def negative_entries(self) -> dict[str, dict[str, float]]:
        return {
            cache.name: {repr(k): round(v, 1) for k, v in cache.entries().items()}
            for cache in (self._renter.failed_combinations, self._renter.out_of_stock)
        }

    def purge_negative(self) -> int:
        return self._renter.failed_combinations.purge() + self._renter.out_of_stock.purge()

    async def purchases(self, state: PurchaseState | None, limit: int) -> list[Purchase]:
        return await self._ctx.store.journal_list(state=state, limit=limit)

    async def purchase_counts(self) -> dict[str, int]:
        return await self._ctx.store.journal_counts()

    async def close(self) -> None:
        await self._ctx.drain()
        for provider in self._ctx.providers.values():
            await provider.close()
        await self._ctx.store.close()


def _quietly(task: asyncio.Future[Decimal]) -> None:
    """A read nobody waits for any more: its failure was answered from the last balance."""
    if not task.cancelled():
        task.exception()

"""The client use cases: what the dialects call, whatever protocol a tool speaks."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from decimal import Decimal
from typing import Any

from proxy.domain import (
    Activation,
    ActivationStatus,
    LongOffer,
    Offer,
    Order,
    PurchaseState,
    RentedNumber,
    Tenant,
)
from proxy.errors import BadKey, DomainError, DuplicateOrder, OutcomeUnknown, TenantRateLimited
from proxy.ports import Clock
from proxy.service import lifecycle
from proxy.service.balances import Balances
from proxy.service.catalog import Catalog
from proxy.service.context import LISTING_WAIT, REQUEST_SOURCE, Context, Source
from proxy.service.identity import Identity
from proxy.service.journal import Intent, Journal
from proxy.service.long_rentals import LongRentals
from proxy.service.rent import Renter, keep
from proxy.service.status import StatusReader
from proxy.service.tenants import issued_keys
from proxy.service.upstream import Gateway

KEY_REREAD_SECONDS = 0.25  # a key not known yet reads the issued keys again this often, at most


class Clients:
    """Every call of a client tool: who it is, balances and prices, purchases, the life
    of an activation, long rentals (`long_rentals`), per-owner settings."""

    def __init__(
        self,
        ctx: Context,
        identity: Identity,
        gateway: Gateway,
        catalog: Catalog,
        reader: StatusReader,
        journal: Journal,
        renter: Renter,
        balances: Balances,
        long_rentals: LongRentals,
    ) -> None:
        self._ctx = ctx
        self._identity = identity
        self._rates = ctx.rates
        self._gateway = gateway
        self._catalog = catalog
        self._reader = reader
        self._journal = journal
        self._renter = renter
        self._balances = balances
        self.long_rentals = long_rentals
        self._keys_read_at = float("-inf")
        self._key_reading: asyncio.Future[bool] | None = None  # this process's identity

    @property
    def clock(self) -> Clock:
        return self._ctx.clock

    async def tenant(self, api_key: str | None, source: Source | None = None) -> Tenant:
        """Who calls; `TenantRateLimited` past an issued tenant's request rate. `source`
        (the request's address, worked out when asked) is kept for the request: a key
        check it would start is limited per source (`upstream.Gateway`)."""
        REQUEST_SOURCE.set(source)
        try:
            tenant = self._identity.tenant(api_key)
        except BadKey:
            if not self._identity.issues_keys or not await self._keys_reread():
                raise
            tenant = self._identity.tenant(api_key)  # a key issued a moment ago
        policy = tenant.policy
        if policy is not None and policy.rate_per_second:
            wait = await self._rates.admit(policy.tenant, policy.rate_per_second)
            if wait:
                self._ctx.observer.tenant_refused(policy.tenant, "rate")
                raise TenantRateLimited(wait)
        return tenant

    async def _keys_reread(self) -> bool:
        """Issued keys read again for a key not known yet (one issued since the last
        second's read): one read at a time, at most one per KEY_REREAD_SECONDS, so a
        flood of made-up keys costs the store a few reads a second; whether it changed."""
        reading = self._key_reading
        if reading is None or reading.done():
            now = self._ctx.clock.now()
            if now - self._keys_read_at < KEY_REREAD_SECONDS:
                return False
            self._keys_read_at = now
            reading = self._key_reading = asyncio.ensure_future(
                issued_keys.reload(self._ctx.store, self._identity, now)
            )
        return await asyncio.shield(reading)

    # -- balances and prices ---------------------------------------------------------------
    async def balance(self, tenant: Tenant) -> Decimal:
        return await self._balances.current(tenant)

    async def balance_hint(self, tenant: Tenant) -> Decimal | None:
        return await self._balances.hint(tenant)

    async def listing_balance(self, tenant: Tenant) -> Decimal:
        return await self._balances.for_listing(tenant)

    async def public_offers(self) -> Sequence[Offer] | None:
        """Prices for reads made without a key (public at the vendors): the list some
        key read lately, else one read with an account of the proxy's own (a configured
        provider's); None when keys pass through and none has been read yet."""
        known = self._catalog.last_loaded
        if known is not None:
            return known
        account = self._identity.house_account()
        return None if account is None else await self._catalog.offers(account)

    async def public_long_offers(self) -> Sequence[LongOffer] | None:
        """Long rentals on sale, for reads made without a key: read with an account of
        the proxy's own; None when it has none (keys pass through)."""
        account = self._identity.house_account()
        if account is None:
            return None
        return await self.long_rentals.offers(Tenant("", (account,)))

    async def offers(self, tenant: Tenant) -> Sequence[Offer]:
        return await self._catalog.offers(self._gateway.primary(tenant))

    def countries_sold(self) -> list[str]:
        """Every country (ISO 3166) some configured provider sells numbers of, sorted."""
        return sorted({c for p in self._ctx.providers.values() for c in p.countries})

    # -- purchases -------------------------------------------------------------------------
    async def rent(self, tenant: Tenant, order: Order, order_ref: str | None = None) -> Activation:
        """`order_ref` is the client's idempotency key: it is claimed before the purchase
        and released only when the vendor refused it, so a retry of a purchase whose
        outcome is unknown is refused instead of buying twice."""
        if order_ref is None:
            return (await self._renter.rent(tenant, order, many=False))[0]
        store = self._ctx.store
        if not await store.activations.claim_order_ref(tenant.owner, order_ref):
            # an unknown earlier attempt is reconciled, so its number becomes reachable
            earlier = await self._journal.by_ref(tenant, order_ref)
            if earlier is None or earlier.state is not PurchaseState.VOID:
                raise DuplicateOrder()
            await store.activations.release_order_ref(tenant.owner, order_ref)
            if not await store.activations.claim_order_ref(tenant.owner, order_ref):
                raise DuplicateOrder()
        try:
            return (await self._renter.rent(tenant, order, many=False, order_ref=order_ref))[0]
        except OutcomeUnknown:
            raise  # it may have been sold: the reference stays taken
        except DomainError:
            await store.activations.release_order_ref(tenant.owner, order_ref)
            raise

    async def rent_many(self, tenant: Tenant, order: Order) -> list[Activation]:
        return await self._renter.rent(tenant, order, many=True)

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

    async def reuse(self, tenant: Tenant, service: str, number: str) -> Activation:
        """The same number again: re-rent the owner's last rental of it (the vendor's
        cheaper path), else rent that specific number."""
        previous = await self._ctx.store.activations.last_on_number(tenant.owner, number, service)
        if previous is not None and not previous.status.is_open:
            return await self.extra(tenant, previous.id)
        return await self.rent_specific(tenant, number, service)

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

    async def forward(
        self, tenant: Tenant, method: str, path: str, body: dict[str, Any] | None
    ) -> tuple[int, Any]:
        """A vendor-native call outside the domain (auctions), paced in the default group;
        the vendor owns those records and their ids."""
        return await self._gateway.call(
            self._gateway.primary(tenant),
            "native",
            lambda p, key: p.forward(key, method, path, body),
        )

    # -- an activation's life ----------------------------------------------------------------
    def status(self, tenant: Tenant, activation_id: int | None) -> Awaitable[Activation]:
        """The reader's own coroutine, not one wrapped in another (the hottest call)."""
        return self._reader.read(tenant, activation_id)

    async def active(self, tenant: Tenant) -> list[Activation]:
        """From the store within LISTING_WAIT whatever the vendor does: the activations
        due for a poll are refreshed together, and what has come back by then is answered;
        the rest goes on behind the answer (within the same per-activation poll budget)."""
        current = await self._ctx.store.activations.open_for(tenant.owner)
        due = [a for a in current if self._reader.due(a)]
        if due:
            refreshing = self._ctx.spawn(self._reader.refresh_all(tenant, due))
            await asyncio.wait({refreshing}, timeout=LISTING_WAIT)
            current = await self._ctx.store.activations.open_for(tenant.owner)
        return current

    async def history(
        self, tenant: Tenant, limit: int, offset: int, newest_first: bool
    ) -> tuple[list[Activation], int]:
        return await self._ctx.store.activations.history(tenant.owner, limit, offset, newest_first)

    async def fresh_history(
        self, tenant: Tenant, limit: int, offset: int, newest_first: bool
    ) -> tuple[list[Activation], int]:
        """The history after the open activations due for a poll were refreshed, as
        `active` does (within LISTING_WAIT; the rest goes on behind): a listing of SMS
        shows the codes that arrived."""
        await self.active(tenant)
        return await self.history(tenant, limit, offset, newest_first)

    def can_cancel(self, activation: Activation) -> bool:
        """A cancel would be taken now: still waiting, not ended, past the cancel lock."""
        return (
            activation.status is ActivationStatus.WAITING
            and self._ctx.clock.now() < activation.end_time
            and not lifecycle.cancel_locked(self._ctx, activation)
        )

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

    # -- an owner's own settings (5sim's max prices) -------------------------------------------
    async def max_prices(self, tenant: Tenant) -> dict[str, Decimal]:
        return await self._ctx.store.activations.max_prices(tenant.owner)

    async def set_max_price(self, tenant: Tenant, service: str, price: Decimal) -> None:
        await self._ctx.store.activations.set_max_price(tenant.owner, service, price)

    async def delete_max_price(self, tenant: Tenant, service: str) -> bool:
        return await self._ctx.store.activations.delete_max_price(tenant.owner, service)

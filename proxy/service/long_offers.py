"""What long rentals the tenant's accounts sell: their price lists (cached), the period
a client's hours buy, and where an order is bought."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from proxy.domain import (
    LongOffer,
    LongOrder,
    LongRental,
    Tenant,
    UpstreamAccount,
    VendorRules,
)
from proxy.errors import (
    BadService,
    BadTransition,
    CountryNotServed,
    DomainError,
    PeriodTooLong,
    ServiceUnavailable,
)
from proxy.service.context import Context
from proxy.service.upstream import Gateway


def matches(offer: LongOffer, order: LongOrder) -> bool:
    return offer.service == order.service and offer.period == order.period


class LongOffers:
    def __init__(self, ctx: Context, gateway: Gateway) -> None:
        self._ctx = ctx
        self._gateway = gateway
        self._offers = ctx.caches.cache("long_offers", ttl=ctx.settings.offers_ttl_seconds)

    async def offers(self, tenant: Tenant, country: str = "us") -> Sequence[LongOffer]:
        """What the tenant's first account that sells long rentals of the country sells
        (cached); `CountryNotServed` when no account sells numbers of it."""
        for account in self.accounts(tenant, country):
            try:
                return await self._account_offers(account)
            except ServiceUnavailable:
                continue
        raise ServiceUnavailable("no provider sells long rentals")

    async def period_for(
        self, tenant: Tenant, service: str | None, seconds: float, country: str = "us"
    ) -> LongOffer:
        """The shortest period sold for the service (None: the whole number) that lasts
        `seconds`: a client's hours or days buy at least that long (vendors sell fixed
        periods). `BadService` when none is sold, `PeriodTooLong` when none lasts so long."""
        periods = sorted(
            (o for o in await self.offers(tenant, country) if o.service == service),
            key=lambda o: o.seconds,
        )
        if not periods:
            raise BadService("this long rental is not sold")
        for offer in periods:
            if offer.seconds >= seconds:
                return offer
        raise PeriodTooLong(periods[-1].seconds)

    async def period_of(self, tenant: Tenant, rental: LongRental) -> LongOffer:
        """The offer a rental renews at (its own period); `BadTransition` when it is no
        longer sold, so it cannot be prolonged."""
        for offer in await self.offers(tenant, rental.country):
            if offer.service == rental.service and offer.period == rental.period:
                return offer
        raise BadTransition("this period is no longer sold")

    async def _account_offers(self, account: UpstreamAccount) -> Sequence[LongOffer]:
        async def load() -> Sequence[LongOffer]:
            return await self._gateway.call(
                account, "long_offers", lambda p, key: p.long_rentals.offers(key)
            )

        found: Sequence[LongOffer] = await self._offers.get(account.name, load)
        return found

    def accounts(self, tenant: Tenant, country: str) -> list[UpstreamAccount]:
        providers = self._ctx.providers
        sellers = [a for a in tenant.accounts if a.provider in providers]
        found = [a for a in sellers if country in providers[a.provider].countries]
        if not found:
            raise CountryNotServed()
        return found

    async def seller(
        self, tenant: Tenant, order: LongOrder
    ) -> tuple[UpstreamAccount, LongOffer | None]:
        """The first account whose price list has the order, with its offer. When none
        lists it, the first account that sells long rentals at all is asked anyway (its
        refusal says why, in its own words) unless a budget needs the price first."""
        unsold: DomainError = ServiceUnavailable("no provider sells long rentals")
        fallback: UpstreamAccount | None = None
        for account in self.accounts(tenant, order.country):
            try:
                offers = await self._account_offers(account)
            except ServiceUnavailable as refused:
                unsold = refused
                continue
            offer = next((o for o in offers if matches(o, order)), None)
            if offer is not None:
                return account, offer
            fallback = fallback or account
        budgeted = tenant.policy is not None and tenant.policy.budgeted
        if fallback is None or budgeted:
            raise (
                unsold
                if fallback is None
                else BadService("no price listed: a budget cannot hold it")
            )
        return fallback, None

    def ceiling(
        self, account: UpstreamAccount, offer: LongOffer | None, order: LongOrder
    ) -> Decimal | None:
        """The most the rental can cost: its price with the vendor's area-code surcharge."""
        if offer is None:
            return None
        rules: VendorRules = self._ctx.providers[account.provider].rules
        surcharge = rules.area_code_surcharge if order.area_codes else Decimal(0)
        return (offer.cost * (1 + surcharge)).quantize(Decimal("0.01"))

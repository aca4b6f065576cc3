"""Buying a long rental: journaled before it leaves, stored and charged when sold, and,
when its outcome is unknown, found in the vendor's list of the account's long rentals
(adopted) or, once the hold has passed with none, void; never sent again blind."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from cachetools import TTLCache

from proxy.domain import (
    LongOrder,
    LongRental,
    LongRentalState,
    LongSnapshot,
    Purchase,
    PurchaseState,
    Tenant,
    UpstreamAccount,
)
from proxy.errors import (
    DomainError,
    ServiceNotAllowed,
    UpstreamError,
)
from proxy.service.context import Context
from proxy.service.journal import Intent, settle
from proxy.service.long_journal import WHOLE, LongJournal
from proxy.service.long_offers import LongOffers
from proxy.service.movements import Movements
from proxy.service.tenants.budget import Budgets
from proxy.service.upstream import Gateway

log = logging.getLogger("smsproxy.long_rentals")
RETRY_SECONDS = 10.0  # an unknown purchase is looked for at most this often by listings
ANY_PERIOD = ""  # an order read back from the journal, which does not keep the period


class LongPurchases:
    def __init__(
        self,
        ctx: Context,
        gateway: Gateway,
        budgets: Budgets,
        offers: LongOffers,
        journal: LongJournal,
        moves: Movements,
    ) -> None:
        self._moves = moves
        self._ctx = ctx
        self._gateway = gateway
        self._budgets = budgets
        self._offers = offers
        self._journal = journal
        self._tried: TTLCache[int, bool] = TTLCache(4096, RETRY_SECONDS, timer=ctx.clock.now)

    async def rent(self, tenant: Tenant, order: LongOrder) -> LongRental:
        """Bought at the first account whose provider sells this rental; a refusal there
        is the answer (a long rental is not shopped around once it was asked for)."""
        service = order.service or WHOLE
        if tenant.services is not None and service not in tenant.services:
            # a whole number serves any service: only a tenant allowed `full` gets one
            if tenant.name is not None:
                self._ctx.observer.tenant_refused(tenant.name, "service")
            raise ServiceNotAllowed()
        account, offer = await self._offers.seller(tenant, order)
        intent = Intent("rent_long", (service,), (order.period, order.area_codes))
        return await self._journal.purchase(
            tenant,
            account,
            intent,
            self._offers.ceiling(account, offer, order),
            lambda: self._gateway.call(
                account, "rent_long", lambda p, key: p.long_rentals.rent(key, order)
            ),
            lambda unknown: self.reconcile(tenant, unknown, order),
            lambda entry, snap: self._keep(
                tenant, account, entry, snap, order, PurchaseState.BOUGHT
            ),
        )

    async def _keep(
        self,
        tenant: Tenant,
        account: UpstreamAccount,
        entry: Purchase,
        snap: LongSnapshot,
        order: LongOrder,
        state: PurchaseState,
    ) -> LongRental:
        """Stored and charged; the client is given it now (bought, or adopted by the
        reconciliation of its own request or of its retry)."""
        now = self._ctx.clock.now()
        try:
            rental = await self._ctx.store.long_rentals.add(
                LongRental(
                    id=0,
                    provider=account.provider,
                    upstream_id=snap.upstream_id,
                    owner=tenant.owner,
                    number=snap.number,
                    service=order.service,
                    period=snap.period,
                    cost=snap.cost,
                    state=snap.state,
                    created_at=now,
                    end_time=snap.end_time,
                    auto_renew=snap.auto_renew,
                    country=order.country,
                    checked_at=now,
                )
            )
        except BaseException:
            await settle(
                self._ctx,
                entry,
                PurchaseState.UNKNOWN,
                note=f"bought {snap.upstream_id}, not stored",
            )
            log.exception("long rental %s bought but not stored", snap.upstream_id)
            raise
        await settle(self._ctx, entry, state, ids=(rental.id,), answered=True)
        self._moves.moved(account.name, -rental.cost)
        await self._journal.charge(entry, rental, rental.cost)
        self._ctx.observer.long_rental(account.provider, "rented", rental.cost)
        return rental

    async def reconcile(
        self, tenant: Tenant, entry: Purchase, order: LongOrder
    ) -> LongRental | None:
        """The vendor lists every long rental of the account: one it sold that the store
        does not hold, of this order's kind and made since the attempt, is the attempt's
        (adopted and charged). Until one shows, the entry stays unknown; when the hold
        has passed with none, it was never sold (void) and its budget hold released."""
        account = self._gateway.account_at(tenant, entry.provider)
        try:
            listed = await self._gateway.call(
                account,
                "long_status",
                lambda p, key: p.long_rentals.listed(key, order.service is not None),
            )
        except UpstreamError:
            return None  # still unknown: asked again on the next retry
        since = entry.created_at - 86400.0  # the vendor dates rentals to the day
        store = self._ctx.store
        for snap in listed:
            if snap.service != order.service or order.period not in (snap.period, ANY_PERIOD):
                continue
            if snap.rented_at < since or snap.state is not LongRentalState.ACTIVE:
                continue
            if await store.long_rentals.by_upstream(entry.provider, snap.upstream_id) is not None:
                continue
            log.warning(
                "long rental purchase %s found at the vendor: %s", entry.id, snap.upstream_id
            )
            return await self._keep(tenant, account, entry, snap, order, PurchaseState.ADOPTED)
        if self._journal.lapsed(entry):
            await settle(self._ctx, entry, PurchaseState.VOID, note="not in the vendor's list")
            await self._budgets.settle(entry, (), None)
        return None

    async def adopt_unknown(
        self, tenants: Mapping[str, Tenant], unknown: Sequence[Purchase]
    ) -> None:
        """Reconcile these tenants' unknown long-rental purchases (one try per entry per
        RETRY_SECONDS): the journal keeps the service, not the period, so any period of
        that service sold since the attempt is the attempt's."""
        for entry in unknown:
            tenant = tenants.get(entry.owner)
            if tenant is None or entry.operation != "rent_long" or entry.id in self._tried:
                continue
            self._tried[entry.id] = True
            service = None if entry.services[0] == WHOLE else entry.services[0]
            try:
                await self.reconcile(tenant, entry, LongOrder(service, ANY_PERIOD))
            except DomainError as failed:  # the listing answers from the store all the same
                log.warning("long rental purchase %s not reconciled: %r", entry.id, failed)

"""Long rentals: numbers kept for days, bought, read, renewed and cancelled for every
dialect from one record in the store.

    rent ──► journal entry (pending) ──► vendor ──► stored, charged     (bought)
                    │                        ├────► refused, released  (refused)
                    │                        └────► unknown ──► found in the vendor's
                    │                                  list ─► adopted  │ not there ─►
                    │                                  unknown until the hold passes,
                    └ never sent again blind           then void

A rental's messages come from the vendor's list when a client reads the rental and the
last read is older than the poll interval, each read a paced call: many clients polling
one rental cost one vendor call per interval. A renewal is a purchase too: journaled,
held against the tenant's budget and, when its outcome is unknown, settled by reading
the rental's end time back, never sent twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal

from proxy.domain import (
    LedgerEntry,
    LedgerReason,
    LongChange,
    LongOffer,
    LongOrder,
    LongRental,
    LongRentalState,
    LongSnapshot,
    Purchase,
    PurchaseState,
    Tenant,
)
from proxy.errors import (
    BadTransition,
    DomainError,
    NotFound,
    UpstreamError,
)
from proxy.service.context import LISTING_WAIT, Context
from proxy.service.journal import Intent, settle
from proxy.service.long_journal import RECENT_ENTRIES, WHOLE, LongJournal
from proxy.service.long_offers import LongOffers
from proxy.service.long_purchase import LongPurchases
from proxy.service.movements import Movements
from proxy.service.tenants.budget import Budgets
from proxy.service.upstream import Gateway

log = logging.getLogger("smsproxy.long_rentals")
R = LedgerReason


class LongRentals:
    def __init__(
        self, ctx: Context, gateway: Gateway, budgets: Budgets, moves: Movements
    ) -> None:
        self._ctx = ctx
        self._gateway = gateway
        self._budgets = budgets
        self._moves = moves  # what renewals and refunds move on the account
        self._journal = LongJournal(ctx, budgets)
        self._offers = LongOffers(ctx, gateway)
        self._purchases = LongPurchases(
            ctx, gateway, budgets, self._offers, self._journal, moves
        )
        self._reads: dict[int, asyncio.Future[LongRental]] = {}  # one vendor read per rental
        self._renewing: set[int] = set()  # rentals this process is renewing right now

    # -- offers and purchases ------------------------------------------------------------
    async def offers(self, tenant: Tenant, country: str = "us") -> Sequence[LongOffer]:
        return await self._offers.offers(tenant, country)

    async def period_for(
        self, tenant: Tenant, service: str | None, seconds: float, country: str = "us"
    ) -> LongOffer:
        return await self._offers.period_for(tenant, service, seconds, country)

    async def period_of(self, tenant: Tenant, rental: LongRental) -> LongOffer:
        return await self._offers.period_of(tenant, rental)

    async def rent(self, tenant: Tenant, order: LongOrder) -> LongRental:
        return await self._purchases.rent(tenant, order)

    # -- reads -------------------------------------------------------------------------------
    async def get(self, tenant: Tenant, rental_id: int | None) -> LongRental:
        """The tenant's rental from the store, as last read (no vendor call)."""
        rentals = self._ctx.store.long_rentals
        rental = await rentals.get(rental_id) if rental_id is not None else None
        if rental is None or rental.owner != tenant.owner:
            raise NotFound()
        return rental

    async def on_number(self, tenant: Tenant, number: str, service: str | None) -> list[LongRental]:
        """The tenant's service rentals on `number` (of `service` when named), newest
        first: a number may serve several services, each its own rental."""
        return [
            r
            for r in await self._ctx.store.long_rentals.for_owner(tenant.owner)
            if r.number == number
            and r.service is not None
            and (service is None or r.service == service)
        ]

    async def status(self, tenant: Tenant, rental_id: int | None) -> LongRental:
        """The rental with its messages: read from the vendor when the last read is older
        than the poll interval (one read at a time per rental), else from the store."""
        rental = await self.get(tenant, rental_id)
        if not self._due(rental):
            return rental
        try:
            return await self._refresh(tenant, rental)
        except UpstreamError:
            return rental  # the vendor is away: the store's word, as last read

    def _due(self, rental: LongRental) -> bool:
        if rental.state is not LongRentalState.ACTIVE:
            return False  # cancelled, expired or let go: nothing more will arrive for it
        return self._ctx.clock.now() - rental.checked_at >= self._ctx.settings.long_poll_seconds

    async def _refresh(self, tenant: Tenant, rental: LongRental) -> LongRental:
        running = self._reads.get(rental.id)
        if running is None:
            running = asyncio.ensure_future(self._read(tenant, rental))
            self._reads[rental.id] = running
            running.add_done_callback(lambda _f: self._reads.pop(rental.id, None))
        return await asyncio.shield(running)

    async def _read(self, tenant: Tenant, rental: LongRental) -> LongRental:
        account = self._gateway.account_at(tenant, rental.provider)
        try:
            snap = await self._gateway.call(
                account,
                "long_status",
                lambda p, key: p.long_rentals.status(key, rental),
                max_wait=self._ctx.settings.poll_wait_seconds,
            )
        except NotFound:
            # gone from the vendor's list of current rentals: its time is over
            snap = None
        return await self._record(tenant, rental, snap)

    async def _record(
        self, tenant: Tenant, rental: LongRental, snap: LongSnapshot | None
    ) -> LongRental:
        """What the vendor said of the rental, stored (None: no longer listed)."""
        latest = await self._ctx.store.long_rentals.get(rental.id) or rental
        updated = self._apply(latest, snap)
        await self._ctx.store.long_rentals.put(updated)
        if snap is not None and snap.end_time > latest.end_time and rental.id not in self._renewing:
            await self._renewal_seen(tenant, latest, updated)
        return updated

    async def _renewal_seen(self, tenant: Tenant, before: LongRental, after: LongRental) -> None:
        """The end time moved with no renewal of this process under way: a renewal whose
        outcome was unknown went through (adopted and charged), or the vendor renewed it
        by itself (auto-renewal): charged to the tenant when seen, no hold went before."""
        self._moves.moved_at(after.provider, after.owner, -before.cost)  # renewed, either way
        entry = await self._journal.unresolved(tenant, self._renewal(before))
        if entry is not None:
            await settle(self._ctx, entry, PurchaseState.ADOPTED, ids=(after.id,), answered=True)
            await self._journal.charge(entry, after, before.cost)
            self._ctx.observer.long_rental(after.provider, "renewed", before.cost)
            return
        rental = after
        self._ctx.observer.long_rental(rental.provider, "renewed", rental.cost)
        if tenant.name is None:
            return
        charged = LedgerEntry(
            tenant.name,
            R.CHARGE,
            rental.cost,
            self._ctx.clock.now(),
            key_id=tenant.key_id,
            provider=rental.provider,
            note=f"auto-renew {rental.service or WHOLE} {rental.period} #{rental.id}",
        )
        if await self._ctx.store.ledger.add(charged):
            self._ctx.observer.tenant_charged(tenant.name, rental.cost)

    def _apply(self, rental: LongRental, snap: LongSnapshot | None) -> LongRental:
        now = self._ctx.clock.now()
        if snap is None:
            ended = (
                LongRentalState.EXPIRED if rental.state is LongRentalState.ACTIVE else rental.state
            )
            return rental.evolve(state=ended, checked_at=now)
        state = snap.state
        if rental.state is LongRentalState.FINISHED and state is LongRentalState.ACTIVE:
            state = rental.state  # the client let it go: it stays finished to it
        messages = rental.messages if snap.messages is None else snap.messages
        return rental.evolve(
            state=state,
            end_time=snap.end_time,
            auto_renew=snap.auto_renew,
            messages=messages,
            checked_at=now,
        )

    async def listing(self, tenant: Tenant, *, active_only: bool = False) -> list[LongRental]:
        """The tenant's rentals, newest first, from the store within LISTING_WAIT whatever
        the vendor does (those due are read behind the answer). A purchase of the
        tenant's whose outcome is unknown is looked for first, so a rental sold while
        the answer was lost (or the process died) shows here without a retry."""
        unknown = await self._ctx.store.journal.newest(
            state=PurchaseState.UNKNOWN, owner=tenant.owner, limit=RECENT_ENTRIES
        )
        await self._purchases.adopt_unknown({tenant.owner: tenant}, unknown)
        held = await self._ctx.store.long_rentals.for_owner(tenant.owner)
        if active_only:
            held = [r for r in held if r.state is LongRentalState.ACTIVE]
        due = [r for r in held if r.state is LongRentalState.ACTIVE and self._due(r)]
        if due:
            reading = self._ctx.spawn(self._refresh_all(tenant, due))
            await asyncio.wait({reading}, timeout=LISTING_WAIT)
            fresh = {r.id: r for r in await self._ctx.store.long_rentals.for_owner(tenant.owner)}
            held = [fresh.get(r.id, r) for r in held]
            if active_only:
                held = [r for r in held if r.state is LongRentalState.ACTIVE]
        return held

    async def sweep_ended(self, issued: Mapping[str, Tenant], grace: float, limit: int) -> int:
        """Issued tenants' active rentals whose end time has passed and that nobody has
        read since: read now, so a vendor auto-renewal reaches the ledger (and an expiry
        the store) without a client's poll; and their unknown purchases are looked for.
        How many rentals were read."""
        unknown = await self._ctx.store.journal.newest(state=PurchaseState.UNKNOWN, limit=limit)
        await self._purchases.adopt_unknown(issued, unknown)
        before = self._ctx.clock.now() - grace
        ended = [
            (tenant, r)
            for owner, tenant in issued.items()
            for r in await self._ctx.store.long_rentals.for_owner(owner)
            if r.state is LongRentalState.ACTIVE and r.checked_at < r.end_time < before
        ][:limit]
        await asyncio.gather(
            *(self._refresh(tenant, r) for tenant, r in ended), return_exceptions=True
        )
        return len(ended)

    async def _refresh_all(self, tenant: Tenant, due: list[LongRental]) -> None:
        """Many rentals at once: each kind's list read once at each provider, then each
        rental's messages (one call a rental, not two); a failed read leaves the store's."""
        kinds: dict[tuple[str, bool], list[LongRental]] = {}
        for rental in due:
            kinds.setdefault((rental.provider, rental.service is not None), []).append(rental)
        await asyncio.gather(
            *(self._refresh_kind(tenant, *kind, rentals) for kind, rentals in kinds.items()),
            return_exceptions=True,
        )

    async def _refresh_kind(
        self, tenant: Tenant, provider: str, service_rentals: bool, rentals: list[LongRental]
    ) -> None:
        account = self._gateway.account_at(tenant, provider)
        wait = self._ctx.settings.poll_wait_seconds
        listed = await self._gateway.call(
            account,
            "long_status",
            lambda p, key: p.long_rentals.listed(key, service_rentals=service_rentals),
            max_wait=wait,
        )
        by_id = {s.upstream_id: s for s in listed}

        async def read(rental: LongRental) -> None:
            snap = by_id.get(rental.upstream_id)
            if snap is not None:
                heard = await self._gateway.call(
                    account,
                    "long_status",
                    lambda p, key: p.long_rentals.messages(key, rental),
                    max_wait=wait,
                )
                snap = replace(snap, messages=heard)
            await self._record(tenant, rental, snap)

        await asyncio.gather(*(read(r) for r in rentals), return_exceptions=True)

    # -- changes -----------------------------------------------------------------------------
    async def change(self, tenant: Tenant, rental_id: int | None, what: LongChange) -> LongRental:
        rental = await self.get(tenant, rental_id)
        if rental.state is not LongRentalState.ACTIVE:
            raise _ended(rental)
        if what is LongChange.RENEW:
            return await self._renew(tenant, rental)
        account = self._gateway.account_at(tenant, rental.provider)
        snap = await self._gateway.call(
            account, "change_long", lambda p, key: p.long_rentals.change(key, rental, what)
        )
        latest = await self._ctx.store.long_rentals.get(rental.id) or rental
        updated = self._apply(latest, snap).evolve(messages=latest.messages)
        await self._ctx.store.long_rentals.put(updated)
        if what is LongChange.CANCEL and updated.state is LongRentalState.CANCELLED:
            # refunded by the vendor (cancelled early, before any message): so is the
            # tenant's first charge; a message that arrived since the last read is missed
            # and shows as drift in the usage check
            if self.refundable(latest):
                self._moves.moved_at(rental.provider, rental.owner, rental.cost)
                await self._budgets.refund(rental.id, "cancelled long rental")
            self._ctx.observer.long_rental(rental.provider, "cancelled", Decimal(0))
        return updated

    def refundable(self, rental: LongRental) -> bool:
        """A cancel now would be refunded: the vendor's early window, before any message."""
        window = self._ctx.providers[rental.provider].rules.long_cancel_refund_seconds
        return not rental.messages and self._ctx.clock.now() - rental.created_at < window

    async def finish(self, tenant: Tenant, rental_id: int | None) -> LongRental:
        """The client is done with it: auto-renewal off at the vendor (the number stays
        paid until its end), and to every dialect it reads finished from now on."""
        rental = await self.get(tenant, rental_id)
        if rental.state is not LongRentalState.ACTIVE:
            raise _ended(rental)
        if rental.auto_renew:
            rental = await self.change(tenant, rental.id, LongChange.AUTO_RENEW_OFF)
        finished = rental.evolve(state=LongRentalState.FINISHED)
        await self._ctx.store.long_rentals.put(finished)
        self._ctx.observer.long_rental(rental.provider, "finished", Decimal(0))
        return finished

    @staticmethod
    def _renewal(rental: LongRental) -> Intent:
        # the end time makes each renewal its own order: a retry of this one is the same
        return Intent("renew_long", (rental.service or WHOLE,), (rental.id, rental.end_time))

    async def _renew(self, tenant: Tenant, rental: LongRental) -> LongRental:
        self._renewing.add(rental.id)
        try:
            return await self._renew_once(tenant, rental)
        finally:
            self._renewing.discard(rental.id)

    async def _renew_once(self, tenant: Tenant, rental: LongRental) -> LongRental:
        account = self._gateway.account_at(tenant, rental.provider)
        intent = self._renewal(rental)
        return await self._journal.purchase(
            tenant,
            account,
            intent,
            rental.cost,
            lambda: self._gateway.call(
                account,
                "change_long",
                lambda p, key: p.long_rentals.change(key, rental, LongChange.RENEW),
            ),
            lambda unknown: self._settle_renewal(tenant, unknown, rental),
            lambda entry, snap: self._renewed(entry, rental, snap, PurchaseState.BOUGHT),
        )

    async def _renewed(
        self, entry: Purchase, rental: LongRental, snap: LongSnapshot, state: PurchaseState
    ) -> LongRental:
        latest = await self._ctx.store.long_rentals.get(rental.id) or rental
        updated = self._apply(latest, snap).evolve(messages=latest.messages)
        await self._ctx.store.long_rentals.put(updated)
        await settle(self._ctx, entry, state, ids=(rental.id,), answered=True)
        await self._journal.charge(entry, updated, rental.cost)
        self._moves.moved_at(rental.provider, rental.owner, -rental.cost)
        self._ctx.observer.long_rental(rental.provider, "renewed", rental.cost)
        return updated

    async def _settle_renewal(
        self, tenant: Tenant, entry: Purchase, rental: LongRental
    ) -> LongRental | None:
        """A renewal whose outcome is unknown moved the end time, or it did not: the
        rental read back says which. Not moved yet, it stays unknown until the hold has
        passed (a late renewal would still show), then it is void."""
        account = self._gateway.account_at(tenant, rental.provider)
        try:
            snap = await self._gateway.call(
                account, "long_status", lambda p, key: p.long_rentals.status(key, rental)
            )
        except DomainError:
            return None
        if snap.end_time > rental.end_time:
            return await self._renewed(entry, rental, snap, PurchaseState.ADOPTED)
        if self._journal.lapsed(entry):
            await settle(self._ctx, entry, PurchaseState.VOID, note="end time unchanged")
            await self._budgets.settle(entry, (), None)
        return None


def _ended(rental: LongRental) -> DomainError:
    return BadTransition(f"long rental is {rental.state.value}")

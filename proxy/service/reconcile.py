"""Finding out what became of a purchase whose outcome is unknown.

What a vendor offers for it (the port's operations): a list of an account's open
rentals (some vendors), rental ids that a key can read back with a status read (a
foreign or absent id is "not found"), the balance, and the webhook that names a rental.
So:

1. Find it: a rental of the owner's account that the store does not hold, for a service
   of the purchase, is adopted into it. Where the vendor lists open rentals, the list is
   searched. Elsewhere the ids are probed: those just below the first id the vendor
   handed out after it to any purchase at that provider (its ceiling: vendors number
   rentals in one sequence), and just above the highest id the proxy held when the
   purchase left (its floor; none before the first purchase at a provider), skipping
   ids the store already holds.
2. Balance: when the purchase started with a witnessed balance (no other purchase of
   that account under way), and the balance now equals that balance plus every money
   movement on the account the proxy caused or saw since (prices paid, refunds of
   cancelled or unused rentals, long rentals: movements.py), nothing was charged: the
   purchase is void.
3. Webhook: a pushed rental that the store does not know is adopted into the one
   unknown purchase it fits (`adopt_pushed`).

Anything else stays unknown: listed at /admin/purchases?state=unknown, counted by
smsproxy_purchase_journal_entries{state="unknown"}, logged.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Sequence
from decimal import Decimal

from cachetools import TTLCache

from proxy.domain import (
    Activation,
    ActivationStatus,
    Offer,
    Purchase,
    PurchaseState,
    RentalSnapshot,
    Tenant,
)
from proxy.errors import NO_ANSWER, NotFound, UpstreamError
from proxy.service.catalog import Catalog
from proxy.service.context import Context
from proxy.service.movements import Movements
from proxy.service.tenants.budget import Budgets
from proxy.service.transitions import apply_snapshot
from proxy.service.upstream import Gateway

log = logging.getLogger("smsproxy.purchases")
PROBE_LIMIT = 32  # status reads per reconciliation, at most
PROBE_SPAN = 256  # how far above its floor a purchase's rental is looked for
RETRY_AFTER_SECONDS = 10.0  # one reconciliation per entry in this time
HISTORY_WINDOW = 200
# a purchase that got no answer (a timeout, a dropped connection, a cancelled request) may
# still be at work at the vendor: its balance proves nothing until this long after it left
UNANSWERED_SETTLE_SECONDS = 30.0
UNANSWERED_NOTES = (NO_ANSWER, "CancelledError")


def _plain(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def service_of(name: str | None, services: Sequence[str], offers: Sequence[Offer]) -> str | None:
    """The purchase's service that a vendor's display name stands for, if any."""
    if not name:
        return None
    for offer in offers:
        if offer.name == name and offer.service in services:
            return offer.service
    wanted = _plain(name)
    return next((s for s in services if _plain(s) == wanted), None)


class Reconciler:
    def __init__(
        self,
        ctx: Context,
        gateway: Gateway,
        catalog: Catalog,
        budgets: Budgets,
        moves: Movements,
    ) -> None:
        self._ctx = ctx
        self._moves = moves
        self._gateway = gateway
        self._catalog = catalog
        self._budgets = budgets
        self._locks: dict[int, asyncio.Lock] = {}
        self._tried: TTLCache[int, bool] = TTLCache(4096, RETRY_AFTER_SECONDS, timer=ctx.clock.now)

    async def settle(self, tenant: Tenant, entry: Purchase) -> Purchase:
        """The entry after one reconciliation attempt (at most one per entry at a time)."""
        lock = self._locks.setdefault(entry.id, asyncio.Lock())
        try:
            async with lock:
                current = await self._ctx.store.journal.get(entry.id) or entry
                if current.state is not PurchaseState.UNKNOWN or current.id in self._tried:
                    return current
                self._tried[current.id] = True
                return await self._attempt(tenant, current)
        finally:
            if not lock.locked():
                self._locks.pop(entry.id, None)

    async def _attempt(self, tenant: Tenant, entry: Purchase) -> Purchase:
        later = await self._later_ids(entry)
        found = await self._probe(tenant, entry, later)
        if found:
            return await self._adopt(entry, found)
        if await self._never_charged(tenant, entry):
            log.warning("purchase %s was never charged (balance unchanged): void", entry.id)
            void = await self._resolve(entry, PurchaseState.VOID, (), "balance unchanged")
            await self._budgets.settle(void, (), None)
            return void
        log.error("purchase %s: no rental found and no proof of refusal; stays unknown", entry.id)
        return entry

    # -- 1. probing ---------------------------------------------------------------------
    async def _candidates(self, entry: Purchase, later: list[int]) -> list[int]:
        """Ids to read back, nearest first: just below the first rental bought after the
        purchase (its ceiling), then upward from what was held when it left (its floor)."""
        provider = entry.provider
        ids: list[int] = []
        if later:
            ceiling = min(later)
            ids += range(ceiling - 1, max(entry.upstream_floor, ceiling - PROBE_LIMIT), -1)
        if entry.upstream_floor:
            start = entry.upstream_floor + 1
            ids += range(start, start + PROBE_SPAN)
        picked: list[int] = []
        for upstream_id in dict.fromkeys(i for i in ids if i > 0):
            if await self._ctx.store.activations.by_upstream(provider, upstream_id) is None:
                picked.append(upstream_id)
                if len(picked) == PROBE_LIMIT:
                    break
        return picked

    async def _probe(
        self, tenant: Tenant, entry: Purchase, later: list[int]
    ) -> list[tuple[RentalSnapshot, str]]:
        account = tenant.account_at(entry.provider)
        if account is None:
            return []  # the tenant no longer reaches that provider: nothing to read
        offers = self._catalog.peek(account)
        wanted = list(entry.services)
        found: list[tuple[RentalSnapshot, str]] = []
        try:
            listed = await self._gateway.call(
                account, "open_rentals", lambda p, key: p.open_rentals(key)
            )
        except UpstreamError as exc:
            log.warning("listing for purchase %s failed: %s", entry.id, type(exc).__name__)
            return []
        if listed is not None:
            for snap in sorted(listed, key=lambda s: s.upstream_id):
                if await self._ctx.store.activations.by_upstream(entry.provider, snap.upstream_id):
                    continue
                service = service_of(snap.service_name, wanted, offers)
                if service is not None and snap.number is not None:
                    wanted.remove(service)
                    found.append((snap, service))
                    if not wanted:
                        break
            return found
        for upstream_id in await self._candidates(entry, later):
            try:
                snap = await self._gateway.call(
                    account,
                    "status",
                    lambda p, key, uid=upstream_id: p.status(key, uid),  # type: ignore[misc]
                    max_wait=self._ctx.settings.poll_wait_seconds,
                )
            except NotFound:
                continue
            except UpstreamError as exc:
                log.warning("probe for purchase %s stopped: %s", entry.id, type(exc).__name__)
                break
            service = service_of(snap.service_name, wanted, offers)
            if service is None or snap.number is None:
                continue
            wanted.remove(service)
            found.append((snap, service))
            if not wanted:
                break
        return found

    async def _later_ids(self, entry: Purchase) -> list[int]:
        """Upstream ids the provider handed out to purchases made after this one, by any
        owner: the vendor numbers rentals in one sequence, so each bounds the search."""
        recent = await self._ctx.store.journal.newest(limit=HISTORY_WINDOW)
        later: list[int] = []
        for other in recent:
            if other.id <= entry.id or other.provider != entry.provider:
                continue
            for activation_id in other.activation_ids:
                found = await self._ctx.store.activations.get(activation_id)
                if found is not None and found.provider == entry.provider:
                    later.append(found.upstream_id)
        return later

    # -- 2. the balance ---------------------------------------------------------------------
    async def _never_charged(self, tenant: Tenant, entry: Purchase) -> bool:
        account = tenant.account_at(entry.provider)
        if entry.balance_before is None or account is None:
            return False
        if entry.note.startswith(UNANSWERED_NOTES) and (
            self._ctx.clock.now() - entry.created_at < UNANSWERED_SETTLE_SECONDS
        ):
            return False  # the sale may land after this read: the balance is no witness yet
        try:
            now = await self._gateway.call(account, "balance", lambda p, key: p.balance(key))
        except UpstreamError:
            return False
        # every price paid and refund received since, that the proxy caused or saw
        return now == entry.balance_before + self._moves.since(account.name, entry.created_at)

    # -- adoption -------------------------------------------------------------------------
    async def _adopt(self, entry: Purchase, found: list[tuple[RentalSnapshot, str]]) -> Purchase:
        stored = [await self._store(entry, snap, service) for snap, service in found]
        ids = tuple(a.id for a in stored)
        log.warning(
            "purchase %s adopted: upstream %s stored as activation(s) %s",
            entry.id,
            ",".join(str(s.upstream_id) for s, _ in found),
            ",".join(map(str, ids)),
        )
        resolved = await self._resolve(entry, PurchaseState.ADOPTED, ids, "found at the vendor")
        await self._budgets.settle(resolved, stored, None)
        return resolved

    async def _store(self, entry: Purchase, snap: RentalSnapshot, service: str) -> Activation:
        now = self._ctx.clock.now()
        blank = Activation(
            id=0,
            provider=entry.provider,
            upstream_id=snap.upstream_id,
            owner=entry.owner,
            number=snap.number or "",
            service=service,
            cost=snap.cost if snap.cost is not None else Decimal(0),
            status=ActivationStatus.WAITING,
            created_at=now,
            end_time=snap.end_time or now + self._ctx.settings.unknown_purchase_hold_seconds,
        )
        activation = await self._ctx.store.activations.add(apply_snapshot(blank, snap, now))
        self._moves.bought(activation)
        self._ctx.observer.rented(activation.provider, service, activation.cost)
        return activation

    async def _resolve(
        self, entry: Purchase, state: PurchaseState, ids: tuple[int, ...], note: str
    ) -> Purchase:
        resolved = entry.evolve(
            state=state, settled_at=self._ctx.clock.now(), activation_ids=ids, note=note
        )
        await self._ctx.store.journal.put(resolved)
        self._ctx.observer.purchase_settled(entry.provider, state.value)
        return resolved

    # -- 3. a pushed rental -----------------------------------------------------------------
    async def adopt_pushed(
        self, provider: str, snap: RentalSnapshot, owns: Callable[[str], bool]
    ) -> Activation | None:
        """A webhook named a rental the store does not hold: adopt it into the one unknown
        purchase it fits (the webhook's account, its service, within the hold window),
        else leave it an orphan."""
        now, hold = self._ctx.clock.now(), self._ctx.settings.unknown_purchase_hold_seconds
        open_entries = await self._ctx.store.journal.newest(state=PurchaseState.UNKNOWN)
        fits = [
            (e, service)
            for e in reversed(open_entries)  # oldest first
            if now - e.created_at <= hold
            and e.provider == provider
            and owns(e.owner)
            and (service := service_of(snap.service_name, e.services, ())) is not None
        ]
        if not fits or snap.number is None or len({e.owner for e, _ in fits}) > 1:
            log.error(
                "webhook for unknown rental %s (%s): %s",
                snap.upstream_id,
                snap.service_name,
                "no unknown purchase fits" if not fits else "fits several owners; not adopted",
            )
            return None
        entry, service = fits[0]
        activation = await self._store(entry, snap, service)
        resolved = await self._resolve(
            entry, PurchaseState.ADOPTED, (activation.id,), "named by a webhook"
        )
        await self._budgets.settle(resolved, (activation,), None)
        log.warning("purchase %s adopted from a webhook: activation %s", entry.id, activation.id)
        return activation

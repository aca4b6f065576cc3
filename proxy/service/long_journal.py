"""The purchase journal for long rentals: a rent or a renewal is an intent on disk, held
against the tenant's budget, before it leaves, and is sent once.

    earlier attempt in doubt ─► reconciled first (found: the answer; else: wait)
    journal entry (pending) ─► hold ─► vendor ─► kept and charged        (bought)
                                         ├────► refused, hold released  (refused)
                                         └────► unknown ─► reconciled   (adopted / void)

The caller says how to send, how to keep what was sold and how to find what was sold
when the answer was lost (long_rentals.py: the vendor's list, or the end time read back).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from decimal import Decimal

from proxy.domain import (
    LedgerEntry,
    LedgerReason,
    LongRental,
    LongSnapshot,
    Purchase,
    PurchaseState,
    Tenant,
    UpstreamAccount,
)
from proxy.errors import DomainError, OutcomeUnknown, PurchaseInDoubt
from proxy.service.context import Context
from proxy.service.journal import Intent, settle
from proxy.service.tenants.budget import Budgets

log = logging.getLogger("smsproxy.long_rentals")
RECENT_ENTRIES = 20  # how far back a retry looks for its earlier attempt
WHOLE = "full"  # the journal's service name for a whole-number rental
R = LedgerReason
Reconcile = Callable[[Purchase], Awaitable[LongRental | None]]


class LongJournal:
    def __init__(self, ctx: Context, budgets: Budgets) -> None:
        self._ctx = ctx
        self._budgets = budgets

    async def purchase(
        self,
        tenant: Tenant,
        account: UpstreamAccount,
        intent: Intent,
        price: Decimal | None,
        send: Callable[[], Awaitable[LongSnapshot]],
        reconcile: Callable[[Purchase], Awaitable[LongRental | None]],
        keep: Callable[[Purchase, LongSnapshot], Awaitable[LongRental]],
    ) -> LongRental:
        """A rent or a renewal: an earlier attempt in doubt is settled first; then the
        intent is journaled, held and sent once; what the vendor sold is kept (`keep`),
        or found by `reconcile` when its answer was lost."""
        earlier = await self._earlier(tenant, intent, reconcile)
        if earlier is not None:
            return earlier
        entry = await self._begin(tenant, account, intent)
        sent = await self._paid_call(tenant, entry, price, send, reconcile)
        if isinstance(sent, LongRental):
            return sent  # the vendor did it without telling: found by the reconciliation
        return await keep(entry, sent)

    async def _paid_call(
        self,
        tenant: Tenant,
        entry: Purchase,
        price: Decimal | None,
        send: Callable[[], Awaitable[LongSnapshot]],
        reconcile: Callable[[Purchase], Awaitable[LongRental | None]],
    ) -> LongSnapshot | LongRental:
        """One journaled purchase call: held against the budget and sent once. Refused,
        it is released; its outcome unknown, it is reconciled: the rental found, or the
        error raised (never sent again)."""
        try:
            await self._budgets.hold(tenant, entry, price)
            return await send()
        except OutcomeUnknown as unknown:
            entry = await settle(self._ctx, entry, PurchaseState.UNKNOWN, note=str(unknown))
            log.error("%s %s outcome unknown: %s; reconciling", entry.operation, entry.id, unknown)
            found = await reconcile(entry)
            if found is not None:
                return found
            raise
        except DomainError as refused:
            await settle(self._ctx, entry, PurchaseState.REFUSED, note=type(refused).__name__)
            await self._budgets.settle(entry, (), None)
            raise
        except BaseException as broken:
            await settle(self._ctx, entry, PurchaseState.UNKNOWN, note=type(broken).__name__)
            raise

    async def charge(self, entry: Purchase, rental: LongRental, amount: Decimal) -> None:
        """The hold becomes a charge: the first one carries the rental's id (its refund
        finds it), a renewal's charge names the rental in its note."""
        store, now = self._ctx.store, self._ctx.clock.now()
        hold = await store.ledger.hold_of(entry.id)
        if hold is None:
            return
        first = entry.operation == "rent_long"
        charged = LedgerEntry(
            hold.tenant,
            R.CHARGE,
            amount,
            now,
            key_id=hold.key_id,
            provider=rental.provider,
            activation_id=rental.id if first else None,
            purchase_id=entry.id,
            note=f"{'long' if first else 'renew'} {rental.service or WHOLE} {rental.period}",
        )
        if await store.ledger.add(charged):
            self._ctx.observer.tenant_charged(hold.tenant, amount)
        await store.ledger.release(
            LedgerEntry(
                hold.tenant,
                R.RELEASE,
                Decimal(0),
                now,
                key_id=hold.key_id,
                provider=rental.provider,
                purchase_id=entry.id,
                note="bought",
            )
        )

    async def _begin(self, tenant: Tenant, account: UpstreamAccount, intent: Intent) -> Purchase:
        return await self._ctx.store.journal.add(
            Purchase(
                id=0,
                owner=tenant.owner,
                provider=account.provider,
                operation=intent.operation,
                services=intent.services,
                order_key=intent.key,
                created_at=self._ctx.clock.now(),
            )
        )

    async def unresolved(self, tenant: Tenant, intent: Intent) -> Purchase | None:
        """The tenant's latest attempt at this intent still pending or unknown."""
        recent = await self._ctx.store.journal.newest(owner=tenant.owner, limit=RECENT_ENTRIES)
        return next((e for e in recent if e.order_key == intent.key and e.state.unresolved), None)

    async def _earlier(
        self,
        tenant: Tenant,
        intent: Intent,
        reconcile: Callable[[Purchase], Awaitable[LongRental | None]],
    ) -> LongRental | None:
        """A retry of a purchase whose outcome is unknown is never sent blind: the earlier
        attempt is reconciled first; found, it is the answer, else the retry waits."""
        now, hold = self._ctx.clock.now(), self._ctx.settings.unknown_purchase_hold_seconds
        recent = await self._ctx.store.journal.newest(owner=tenant.owner, limit=RECENT_ENTRIES)
        for entry in recent:
            if entry.order_key != intent.key or now - entry.created_at > hold:
                continue
            if entry.state is PurchaseState.UNKNOWN:
                found = await reconcile(entry)
                if found is not None:
                    return found
                raise PurchaseInDoubt(f"{entry.operation} {entry.id} is unresolved")
        return None

    def lapsed(self, entry: Purchase) -> bool:
        """Past the hold, a purchase nobody found was never made (a late one would show)."""
        hold = self._ctx.settings.unknown_purchase_hold_seconds
        return self._ctx.clock.now() - entry.created_at > hold

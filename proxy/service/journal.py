"""The purchase journal: a purchase is an intent on disk before it leaves.

    pending ──► bought        the vendor sold it; its activations are stored
       │ ├────► refused       the vendor said no, or the call never left
       │ └────► unknown ──► adopted   found at the vendor later and stored (reconcile.py)
       │                └─► void      the vendor's balance shows it never charged
       └ (process died) ──► unknown

A retry of the same order by the same owner while an earlier one is unknown never buys
blind: the earlier one is reconciled first and its number answered if it was found;
otherwise the client gets the protocol's transient error until the vendor would have
ended (and refunded) the rental. docs/reliability.md gives the policy and its reasons.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from decimal import Decimal

from cachetools import TTLCache

from proxy.domain import Activation, Purchase, PurchaseState, RentedNumber, Tenant, UpstreamAccount
from proxy.errors import (
    DomainError,
    OutcomeUnknown,
    PurchaseInDoubt,
    ServiceNotAllowed,
    TenantCap,
    UpstreamError,
)
from proxy.service.context import Context
from proxy.service.movements import Movements
from proxy.service.reconcile import Reconciler
from proxy.service.tenants.budget import Budgets

log = logging.getLogger("smsproxy.purchases")
Buy = Callable[[], Awaitable[list[RentedNumber]]]
Keep = Callable[[RentedNumber], Awaitable[Activation]]
BALANCE_MEMORY_SECONDS = 300.0
BALANCE_MEMORY_ACCOUNTS = 4096
RECENT_ENTRIES = 20  # how far back a retry looks for its earlier attempt


@dataclass(frozen=True)
class Intent:
    """What is about to be bought. `detail` holds what else makes it the same order."""

    operation: str
    services: tuple[str, ...]
    detail: tuple[Hashable, ...] = ()
    order_ref: str | None = None

    @property
    def key(self) -> str:
        text = repr((self.operation, self.services, self.detail, self.order_ref))
        return hashlib.sha256(text.encode()).hexdigest()[:24]


class BalanceWitness:
    """The balance of each upstream account, kept only while no purchase could have
    moved it. A balance counts as a witness when it was read with no purchase on that
    account under way from the start of the read to its end; a purchase makes it stale.
    """

    def __init__(self) -> None:
        self._seen: TTLCache[str, Decimal] = TTLCache(
            BALANCE_MEMORY_ACCOUNTS, BALANCE_MEMORY_SECONDS
        )
        self._in_flight: dict[str, int] = {}
        self._epoch: dict[str, int] = {}

    def quiet(self, account: str) -> int | None:
        """A token for a balance read, or None when a purchase is under way."""
        return None if self._in_flight.get(account) else self._epoch.get(account, 0)

    def saw(self, account: str, value: Decimal, token: int | None) -> None:
        if token is not None and token == self.quiet(account):
            self._seen[account] = value

    def alone(self, account: str) -> bool:
        """One purchase of the account under way: the caller's own."""
        return self._in_flight.get(account) == 1

    def starting(self, account: str) -> Decimal | None:
        before = self._seen.pop(account, None) if not self._in_flight.get(account) else None
        self._in_flight[account] = self._in_flight.get(account, 0) + 1
        self._epoch[account] = self._epoch.get(account, 0) + 1
        return before

    def finished(self, account: str, balance_after: Decimal | None) -> None:
        left = self._in_flight.get(account, 1) - 1
        if left > 0:
            self._in_flight[account] = left
            return
        self._in_flight.pop(account, None)
        self._epoch.pop(account, None)  # idle accounts leave nothing behind
        if balance_after is not None:
            self._seen[account] = balance_after


async def settle(
    ctx: Context,
    entry: Purchase,
    state: PurchaseState,
    *,
    ids: tuple[int, ...] = (),
    note: str = "",
    answered: bool = False,
) -> Purchase:
    """A journal entry's outcome, durable, and counted."""
    settled = entry.evolve(
        state=state, settled_at=ctx.clock.now(), activation_ids=ids, note=note, answered=answered
    )
    await ctx.store.journal.put(settled)
    ctx.observer.purchase_settled(entry.provider, state.value)
    return settled


class Journal:
    def __init__(
        self,
        ctx: Context,
        reconciler: Reconciler,
        budgets: Budgets,
        moves: Movements,
        read_balance: Callable[[UpstreamAccount], Awaitable[Decimal]],
    ) -> None:
        self._read_balance = read_balance  # a witness before a provider's first purchase
        self._moves = moves  # every purchase's price leaves its account: the balance rule
        self._ctx = ctx
        self._reconciler = reconciler
        self._budgets = budgets
        self.balances = BalanceWitness()
        self._buying: dict[str, int] = {}  # owner -> numbers being bought right now
        self._ended: dict[str, int] = {}  # owner -> purchases ended so far (capped owners)

    async def purchase(
        self,
        tenant: Tenant,
        account: UpstreamAccount,
        intent: Intent,
        buy: Buy,
        keep: Keep,
        price: Decimal | None = None,
    ) -> list[Activation]:
        """One attempt at one provider account. An earlier attempt at the same order whose
        outcome is unknown, at any provider, is settled first: never buy elsewhere while
        a number may have been bought. `price` is the most it can cost: what an issued
        tenant's budget holds for it."""
        if tenant.services is not None and not set(intent.services) <= tenant.services:
            if tenant.name is not None:
                self._ctx.observer.tenant_refused(tenant.name, "service")
            raise ServiceNotAllowed()
        earlier = await self._earlier(tenant, intent)
        if earlier:
            return earlier
        wanted = len(intent.services) if intent.operation == "rent_many" else 1
        capped = await self._reserve(tenant, wanted)
        try:
            return await self._attempt(tenant, account, intent, buy, keep, price)
        finally:
            if capped:
                self._release(tenant.owner, wanted)

    async def _attempt(
        self,
        tenant: Tenant,
        account: UpstreamAccount,
        intent: Intent,
        buy: Buy,
        keep: Keep,
        price: Decimal | None,
    ) -> list[Activation]:
        entry = await self._begin(tenant, account, intent)
        balance_after: Decimal | None = None
        try:
            try:
                await self._budgets.hold(tenant, entry, price)
                entry = await self._witness_first(entry, account)
                rented = await buy()
            except OutcomeUnknown as unknown:
                return await self._unknown(tenant, entry, unknown)
            except DomainError as refused:  # the vendor said no, or it never left
                await self._settle(entry, PurchaseState.REFUSED, note=type(refused).__name__)
                await self._budgets.settle(entry, (), None)
                raise
            except BaseException as broken:  # cancelled or failed while it may be under way
                await self._settle(entry, PurchaseState.UNKNOWN, note=f"{type(broken).__name__}")
                log.error("purchase %s interrupted (%r): outcome unknown", entry.id, broken)
                raise
            balance_after = rented[-1].balance_after if rented else None
            bought = await self._keep_all(entry, rented, keep)
            await self._budgets.settle(entry, bought, balance_after)
            return bought
        finally:
            self.balances.finished(account.name, balance_after)

    async def _reserve(self, tenant: Tenant, wanted: int) -> bool:
        """Hold `wanted` numbers of the tenant's cap for a purchase; `TenantCap` when
        open activations plus purchases under way would pass it. True when held.

        Purchases that ended while the open ones were being read are counted again (they
        may be missing from the read): the rule errs towards refusing, never towards
        holding more than the cap. The check and the hold happen with nothing between."""
        if tenant.max_active is None:
            return False
        owner = tenant.owner
        ended_before = self._ended.get(owner, 0)
        held = len(await self._ctx.store.activations.open_for(owner))
        missed = self._ended.get(owner, 0) - ended_before
        if held + missed + self._buying.get(owner, 0) + wanted > tenant.max_active:
            if tenant.name is not None:
                self._ctx.observer.tenant_refused(tenant.name, "max_active")
            raise TenantCap()
        self._buying[owner] = self._buying.get(owner, 0) + wanted
        return True

    def _release(self, owner: str, wanted: int) -> None:
        left = self._buying[owner] - wanted
        if left:
            self._buying[owner] = left
        else:
            del self._buying[owner]
        self._ended[owner] = self._ended.get(owner, 0) + wanted

    async def _keep_all(
        self, entry: Purchase, rented: list[RentedNumber], keep: Keep
    ) -> list[Activation]:
        try:
            activations = [await keep(r) for r in rented]
        except BaseException:
            held = ",".join(str(r.upstream_id) for r in rented)
            await self._settle(entry, PurchaseState.UNKNOWN, note=f"bought {held}, not stored")
            log.exception("purchase %s: bought upstream %s but could not store it", entry.id, held)
            raise
        for bought in activations:
            self._moves.bought(bought)
        ids = tuple(a.id for a in activations)
        await self._settle(entry, PurchaseState.BOUGHT, ids=ids, answered=True)
        return activations

    async def _begin(self, tenant: Tenant, account: UpstreamAccount, intent: Intent) -> Purchase:
        ctx = self._ctx
        floor = await ctx.store.journal.max_upstream_id(account.provider)
        entry = Purchase(
            id=0,
            owner=tenant.owner,
            provider=account.provider,
            operation=intent.operation,
            services=intent.services,
            order_key=intent.key,
            created_at=ctx.clock.now(),
            order_ref=intent.order_ref,
            upstream_floor=floor,
            balance_before=self.balances.starting(account.name),
        )
        return await ctx.store.journal.add(entry)

    async def _witness_first(self, entry: Purchase, account: UpstreamAccount) -> Purchase:
        """Before the first purchase at a provider nothing bounds an id search from
        below: when it has no witnessed balance and is the only purchase of the account
        under way, the balance is read before it leaves (one call), so that purchase,
        should its outcome be unknown, can be proved void."""
        if entry.upstream_floor or entry.balance_before is not None:
            return entry
        if not self.balances.alone(account.name):
            return entry
        try:
            value = await self._read_balance(account)
        except UpstreamError:
            return entry  # no witness: the id search and the hold decide, as before
        if not self.balances.alone(account.name):
            return entry  # another purchase started meanwhile: not a witness
        witnessed = entry.evolve(balance_before=value)
        await self._ctx.store.journal.put(witnessed)
        return witnessed

    async def _settle(
        self,
        entry: Purchase,
        state: PurchaseState,
        *,
        ids: tuple[int, ...] = (),
        note: str = "",
        answered: bool = False,
    ) -> Purchase:
        return await settle(self._ctx, entry, state, ids=ids, note=note, answered=answered)

    async def _unknown(
        self, tenant: Tenant, entry: Purchase, cause: OutcomeUnknown
    ) -> list[Activation]:
        log.error(
            "purchase %s outcome unknown (provider=%s, %s %s): %s; reconciling, never retried",
            entry.id,
            entry.provider,
            entry.operation,
            ",".join(entry.services),
            cause,
        )
        entry = await self._settle(entry, PurchaseState.UNKNOWN, note=str(cause))
        settled = await self._reconciler.settle(tenant, entry)
        found = await self._claim(settled)
        if found:
            return found
        raise cause

    async def _earlier(self, tenant: Tenant, intent: Intent) -> list[Activation]:
        """The numbers of an earlier attempt at this order, if it was found; raises
        `PurchaseInDoubt` while an earlier attempt may still have been sold."""
        now, hold = self._ctx.clock.now(), self._ctx.settings.unknown_purchase_hold_seconds
        recent = await self._ctx.store.journal.newest(owner=tenant.owner, limit=RECENT_ENTRIES)
        for entry in recent:
            if entry.order_key != intent.key or now - entry.created_at > hold:
                continue
            if entry.state is PurchaseState.UNKNOWN:
                entry = await self._reconciler.settle(tenant, entry)
            if entry.state is PurchaseState.UNKNOWN:
                log.warning("purchase %s still unknown: a retry of it is not bought", entry.id)
                raise PurchaseInDoubt(f"purchase {entry.id} is unresolved")
            found = await self._claim(entry)
            if found:
                return found
        return []

    async def by_ref(self, tenant: Tenant, order_ref: str) -> Purchase | None:
        """The latest attempt under a client's order reference, reconciled if unknown."""
        recent = await self._ctx.store.journal.newest(owner=tenant.owner, limit=RECENT_ENTRIES)
        entry = next((e for e in recent if e.order_ref == order_ref), None)
        if entry is not None and entry.state is PurchaseState.UNKNOWN:
            entry = await self._reconciler.settle(tenant, entry)
        return entry

    async def _claim(self, entry: Purchase) -> list[Activation]:
        """An adopted purchase's open numbers, answered to one client once."""
        if entry.state is not PurchaseState.ADOPTED or entry.answered:
            return []
        await self._ctx.store.journal.put(entry.evolve(answered=True))
        found = [await self._ctx.store.activations.get(i) for i in entry.activation_ids]
        return [a for a in found if a is not None and a.status.is_open]

"""An issued tenant's money: held before a purchase leaves, charged from the vendor's
answer, given back when the vendor gives it back.

    hold (reserve)  ──► charge per number bought, then release the hold
          │     └────► release        refused, or found never charged (void)
          └ (outcome unknown) ──► stays held until reconciled, or until it lapses
    refund          a rental that ended without a code, where the vendor refunds those

A hold is the most the purchase can cost (the offer's price with every surcharge the
order can bring, or the client's max price, or the tenant's cap, whichever is lowest),
and the order goes to the vendor with that as its max price: the vendor never charges
more than was held. The store checks the hold against the daily and monthly budgets and
writes it in one step, so concurrent purchases never overspend together.

Passed-through keys and static tenants have no ledger; every issued tenant has one,
budget or not.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

from proxy.domain import (
    Activation,
    LedgerEntry,
    LedgerReason,
    Offer,
    Order,
    Purchase,
    Tenant,
    TenantPolicy,
    VendorRules,
)
from proxy.errors import BadService, MaxPriceExceeded, OverBudget
from proxy.service.context import Context
from proxy.service.transitions import ended_unused

log = logging.getLogger("smsproxy.budget")
R = LedgerReason


def period_starts(now: float) -> tuple[float, float]:
    """The start of the UTC day and of the UTC calendar month that hold `now`."""
    moment = datetime.fromtimestamp(now, UTC)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day.timestamp(), day.replace(day=1).timestamp()


def limits_of(policy: TenantPolicy, now: float) -> list[tuple[float, Decimal]]:
    day, month = period_starts(now)
    limits = []
    if policy.daily_budget is not None:
        limits.append((day, policy.daily_budget))
    if policy.monthly_budget is not None:
        limits.append((month, policy.monthly_budget))
    return limits


def order_ceiling(
    offers: Sequence[Offer], order: Order, rules: VendorRules, *, specific: bool = False
) -> Decimal | None:
    """The most the order can cost at these offers (every surcharge it may bring); None
    when an offer is missing."""
    prices = {o.service: o.cost for o in offers}
    if not all(s in prices for s in order.services):
        return None
    share = Decimal(1)
    if specific:
        share += rules.specific_number_surcharge
    else:
        if order.carrier:
            share += rules.carrier_surcharge
        if order.area_codes:
            share += rules.area_code_surcharge
    return sum((prices[s] * share for s in order.services), Decimal(0)).quantize(Decimal("0.01"))


class Budgets:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    @property
    def _lapse(self) -> float:
        """A hold whose purchase never settled stops counting after the vendor's rental
        time: by then a rental nobody found has ended and been refunded."""
        return self._ctx.clock.now() - self._ctx.settings.unknown_purchase_hold_seconds

    def bound(self, tenant: Tenant, order: Order, ceiling: Decimal | None) -> Decimal | None:
        """The max price the order goes out with: the lowest of the client's, the tenant's
        caps on its services, and (with a budget) the most the offers say it can cost.
        `MaxPriceExceeded` when the offers already show it costs more than a cap allows;
        `BadService` when a budget needs a price the offers do not have."""
        policy = tenant.policy
        bounds = [order.max_price] if order.max_price is not None else []
        if policy is not None:
            caps = [policy.price_cap(s) for s in order.services]
            if all(c is not None for c in caps) and caps:
                cap = sum((c for c in caps if c is not None), Decimal(0))
                plain = not order.carrier and not order.area_codes  # then the ceiling is exact
                if plain and ceiling is not None and ceiling > cap:
                    raise MaxPriceExceeded(ceiling)
                bounds.append(cap)
            if policy.budgeted:
                if ceiling is None:
                    raise BadService("no price listed: a budget cannot hold it")
                bounds.append(ceiling)
        return min(bounds) if bounds else None

    async def hold(self, tenant: Tenant, entry: Purchase, amount: Decimal | None) -> None:
        """Reserve `amount` for the purchase `entry`; `OverBudget` when it does not fit."""
        if tenant.name is None:
            return
        now = self._ctx.clock.now()
        policy = tenant.policy or TenantPolicy(tenant.name)
        held = LedgerEntry(
            tenant.name,
            R.RESERVE,
            amount or Decimal(0),
            now,
            key_id=tenant.key_id,
            provider=entry.provider,
            purchase_id=entry.id,
            note=entry.operation,
        )
        if not await self._ctx.store.ledger.hold(held, limits_of(policy, now), self._lapse):
            self._ctx.observer.tenant_refused(tenant.name, "budget")
            raise OverBudget()

    async def settle(
        self, entry: Purchase, activations: Sequence[Activation], balance_after: Decimal | None
    ) -> None:
        """The purchase ended: charge what was bought (the vendor's balance after it on
        the last charge), then release the hold. Nothing for a purchase without a hold."""
        store, now = self._ctx.store, self._ctx.clock.now()
        hold = await store.ledger.hold_of(entry.id)
        if hold is None:
            return
        for i, activation in enumerate(activations):
            last = i == len(activations) - 1
            charged = LedgerEntry(
                hold.tenant,
                R.CHARGE,
                activation.cost,
                now,
                key_id=hold.key_id,
                provider=activation.provider,
                activation_id=activation.id,
                purchase_id=entry.id,
                balance_after=balance_after if last else None,
                note=activation.service,
            )
            if await store.ledger.add(charged):
                self._ctx.observer.tenant_charged(hold.tenant, activation.cost)
            await self.ended(activation)  # adopted already over: refunded as well
        await store.ledger.release(
            LedgerEntry(
                hold.tenant,
                R.RELEASE,
                Decimal(0),  # the store writes minus what was held
                now,
                key_id=hold.key_id,
                provider=entry.provider,
                purchase_id=entry.id,
                note="bought" if activations else "not bought",
            )
        )

    async def on_change(self, before: Activation, after: Activation) -> None:
        """A follow-up of every saved change: an activation that ended is settled."""
        if before.status.is_open and not after.status.is_open:
            await self.ended(after)

    async def ended(self, activation: Activation) -> None:
        """A rental over without a code: refunded as the vendor refunds it, once."""
        if not ended_unused(activation):
            return
        if not self._ctx.providers[activation.provider].rules.refunds_unused:
            return
        await self.refund(activation.id, activation.status.value)

    async def refund(self, charged_id: int, note: str) -> None:
        """Give back the charge recorded under `charged_id` (an activation's or a long
        rental's id), once; nothing when nothing was charged under it."""
        charge = await self._ctx.store.ledger.charge_of(charged_id)
        if charge is None:
            return
        refund = LedgerEntry(
            charge.tenant,
            R.REFUND,
            -charge.amount,
            self._ctx.clock.now(),
            key_id=charge.key_id,
            provider=charge.provider,
            activation_id=charged_id,
            purchase_id=charge.purchase_id,
            note=note,
        )
        if await self._ctx.store.ledger.add(refund):
            self._ctx.observer.tenant_refunded(charge.tenant, charge.amount)

    async def remaining(self, tenant: Tenant) -> Decimal | None:
        """What the tenant may still spend (the tighter of its budgets, less its holds);
        None without a budget."""
        if tenant.name is None or tenant.policy is None:
            return None
        left = await self.left(tenant.policy)
        return min(left.values()) if left else None

    async def left(self, policy: TenantPolicy) -> dict[str, Decimal]:
        """Per budgeted period (`day`, `month`): what is left of it, holds deducted."""
        store, now = self._ctx.store, self._ctx.clock.now()
        if not policy.budgeted:
            return {}
        held = await store.ledger.held(policy.tenant, self._lapse)
        day, month = period_starts(now)
        left = {}
        for period, since, limit in (
            ("day", day, policy.daily_budget),
            ("month", month, policy.monthly_budget),
        ):
            if limit is not None:
                spent = await store.ledger.spent(policy.tenant, since)
                left[period] = max(limit - spent - held, Decimal(0))
        return left

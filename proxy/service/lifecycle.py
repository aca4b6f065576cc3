"""Changing an activation: ready, another SMS, finish, cancel, and re-rent."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

from proxy.domain import Activation, ActivationStatus, RentedNumber, Tenant, VendorRules
from proxy.errors import BadTransition, EarlyCancel, Expired, NotViewed, StillActive
from proxy.service.catalog import Catalog
from proxy.service.context import Context
from proxy.service.journal import Intent, Journal
from proxy.service.rent import keep
from proxy.service.status import StatusReader, owned
from proxy.service.upstream import Gateway

S = ActivationStatus
CANCELLED = (S.CANCELLED, S.BANNED)


async def mark_ready(
    ctx: Context, gateway: Gateway, tenant: Tenant, activation_id: int | None
) -> Activation:
    """Nothing changes here; a vendor whose rules want to know is told."""
    activation = await owned(ctx, tenant, activation_id)
    if activation.status is not S.WAITING:
        raise BadTransition()
    if ctx.providers[activation.provider].rules.told_when_ready:
        await gateway.call(
            Gateway.account_at(tenant, activation.provider),
            "ready",
            lambda p, key: p.mark_ready(key, activation.upstream_id),
        )
    return activation


async def request_another(
    ctx: Context,
    gateway: Gateway,
    reader: StatusReader,
    catalog: Catalog,
    tenant: Tenant,
    activation_id: int | None,
) -> Activation:
    """Remember the code and wait for a new one. A vendor whose rules say so is asked
    (and decides); for the others there is no endpoint (D9), and whether the service takes
    another SMS is asked of the catalogue when the purchase could not learn it."""
    activation = await reader.read(tenant, activation_id)
    if activation.status is S.RETRY_WAIT:
        return activation
    if activation.status is not S.CODE_RECEIVED:
        raise BadTransition()
    seller = Gateway.account_at(tenant, activation.provider)
    if ctx.providers[activation.provider].rules.asks_for_another_sms:
        await gateway.call(
            seller, "another_sms", lambda p, key: p.request_another(key, activation.upstream_id)
        )
    elif not activation.multiple_sms and not await catalog.multiple_sms(seller, activation.service):
        raise BadTransition()
    updated = activation.evolve(status=S.RETRY_WAIT, retry_code=activation.code, multiple_sms=True)
    await ctx.save(activation, updated)
    return updated


async def complete(
    ctx: Context,
    gateway: Gateway,
    reader: StatusReader,
    tenant: Tenant,
    activation_id: int | None,
) -> Activation:
    """Finish: only with a code (D8); the vendor wants the code viewed first."""
    activation = await reader.read(tenant, activation_id)
    if activation.status not in (S.CODE_RECEIVED, S.RETRY_WAIT) or activation.code is None:
        raise BadTransition()
    if ctx.clock.now() >= activation.end_time:
        raise Expired()
    if not activation.upstream_viewed:
        activation = await reader.refresh(tenant, activation)

    def finish() -> Awaitable[None]:
        return gateway.call(
            gateway.account_at(tenant, activation.provider),
            "complete",
            lambda p, key: p.complete(key, activation.upstream_id),
        )

    try:
        await finish()
    except NotViewed:
        activation = await reader.refresh(tenant, activation)
        await finish()
    done = activation.evolve(status=S.COMPLETED, checked_at=ctx.clock.now())
    await ctx.save(activation, done)
    return done


def cancel_locked(ctx: Context, activation: Activation) -> bool:
    """Too soon after the purchase for a cancel (the configured lock, else the vendor's)."""
    lock = ctx.settings.cancel_lock_seconds
    if lock is None:
        lock = ctx.providers[activation.provider].rules.cancel_lock_seconds
    return ctx.clock.now() - activation.created_at < lock


async def cancel(
    ctx: Context,
    gateway: Gateway,
    reader: StatusReader,
    tenant: Tenant,
    activation_id: int | None,
    final: ActivationStatus = S.CANCELLED,
) -> Activation:
    """Cancel upstream; `final` records why (a ban is a cancel the client reports as such).
    A repeated cancel is answered, not refused, also when the first one's answer was lost
    on the way: the vendor's own word that the rental is cancelled settles it."""
    activation = await owned(ctx, tenant, activation_id)
    if activation.status is S.WAITING:
        activation = await reader.read(tenant, activation.id)  # a code may have arrived
    if activation.status in CANCELLED:
        return await _cancelled(ctx, activation, final)
    if activation.status is not S.WAITING:
        raise BadTransition()  # finished, or a code was received (D10)
    if ctx.clock.now() >= activation.end_time:
        raise Expired()
    if cancel_locked(ctx, activation):
        raise EarlyCancel()  # answered locally: the vendor would refuse it anyway
    try:
        snap = await gateway.call(
            gateway.account_at(tenant, activation.provider),
            "cancel",
            lambda p, key: p.cancel(key, activation.upstream_id),
        )
    except BadTransition:
        current = await reader.refresh(tenant, activation, quiet=True)
        if current.status in CANCELLED:  # an earlier cancel went through; its answer did not
            return await _cancelled(ctx, current, final)
        raise
    cancelled = activation.evolve(
        status=final, end_time=snap.end_time or activation.end_time, checked_at=ctx.clock.now()
    )
    await ctx.save(activation, cancelled)
    return cancelled


async def _cancelled(ctx: Context, activation: Activation, final: ActivationStatus) -> Activation:
    if activation.status is final or activation.status is S.BANNED:
        return activation
    recorded = activation.evolve(status=final)  # a ban after a cancel is still a ban
    await ctx.save(activation, recorded)
    return recorded


def rerent_cost(parent: Activation, rules: VendorRules) -> Decimal:
    """The original cost, with the seller's factor after a completed rental."""
    factor = rules.rerent_after_completion if parent.status is S.COMPLETED else Decimal(1)
    return (parent.cost * factor).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


async def quote_extra(ctx: Context, tenant: Tenant, activation_id: int | None) -> Activation:
    parent = await owned(ctx, tenant, activation_id)
    if parent.status.is_open:
        raise StillActive()
    return parent


async def extra(
    ctx: Context,
    gateway: Gateway,
    catalog: Catalog,
    journal: Journal,
    tenant: Tenant,
    activation_id: int | None,
) -> Activation:
    parent = await quote_extra(ctx, tenant, activation_id)
    seller = gateway.account_at(tenant, parent.provider)  # only the seller can re-rent it

    async def buy() -> list[RentedNumber]:
        rented = await gateway.call(
            seller, "rerent", lambda p, key: p.rerent(key, parent.upstream_id)
        )
        return [replace(rented, service=parent.service)]

    intent = Intent("rerent", (parent.service,), (parent.id,))
    price = rerent_cost(parent, ctx.providers[parent.provider].rules)
    bought = await journal.purchase(
        tenant, seller, intent, buy, lambda r: keep(ctx, catalog, tenant, seller, r), price
    )
    return bought[0]

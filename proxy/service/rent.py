"""Renting: ask the provider, keep its answer durably, then answer the client."""

from __future__ import annotations

import logging
from dataclasses import replace

from ..domain import Activation, ActivationStatus, Order, RentedNumber, Tenant
from ..errors import NumberTaken, OutcomeUnknown, WrongCarrier
from .catalog import Catalog
from .context import Context

log = logging.getLogger("smsproxy.rent")


async def _with_order_rules(
    ctx: Context, tenant: Tenant, order: Order, many: bool
) -> list[RentedNumber]:
    """Vendor quirks the client should not see (D6, 408): each gets exactly one retry.

    Both retries are safe: the vendor answered, so nothing was bought. An unknown
    outcome is never retried.
    """

    async def attempt(o: Order) -> list[RentedNumber]:
        if many:
            return list(await ctx.provider.rent_many(tenant.api_key, o))
        return [await ctx.provider.rent(tenant.api_key, o)]

    try:
        try:
            return await attempt(order)
        except WrongCarrier:
            order = replace(order, carrier=None, keep_carrier=False)
            return await attempt(order)
    except NumberTaken:
        return await attempt(order)  # a second race is the client's answer
    except OutcomeUnknown:
        log.error(
            "purchase outcome unknown (provider=%s, services=%s); not retried",
            ctx.provider.name,
            ",".join(order.services),
        )
        raise


async def rent(
    ctx: Context, catalog: Catalog, tenant: Tenant, order: Order, *, many: bool = False
) -> list[Activation]:
    rented = await _with_order_rules(ctx, tenant, order, many)
    return [await keep(ctx, catalog, tenant, r) for r in rented]


async def keep(ctx: Context, catalog: Catalog, tenant: Tenant, r: RentedNumber) -> Activation:
    now = ctx.clock.now()
    activation = Activation(
        id=0,
        provider=ctx.provider.name,
        upstream_id=r.upstream_id,
        owner=tenant.owner,
        number=r.number,
        service=r.service,
        cost=r.cost,
        status=ActivationStatus.WAITING,
        created_at=now,
        end_time=r.end_time,
        multiple_sms=await catalog.multiple_sms(tenant, r.service),
        checked_at=now,
    )
    return await ctx.store.add(activation)

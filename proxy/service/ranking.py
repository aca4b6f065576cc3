"""The order in which a purchase tries the accounts that can sell it, by price:

* `cheapest`: each account's live price (the cached offers), in the routing currency
  (its provider's price times its currency's rate); prices within the tie band keep
  their priority order; an account whose price or rate is unknown comes last.
* `value`: the price divided by the share of that provider's recent purchases of the
  service that received a code (code_rates.py): a cheap number that never gets its code
  is the dearest. A share `value_explore` of purchases puts another account first, so a
  provider that recovered is noticed again.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from decimal import Decimal

from proxy.domain import Order, UpstreamAccount
from proxy.errors import DomainError
from proxy.service.catalog import Catalog
from proxy.service.code_rates import CodeRates
from proxy.service.context import Context

FLOOR = 0.02  # a share of delivered codes is never taken below this (no division by 0)


class Ranking:
    def __init__(self, ctx: Context, catalog: Catalog, rates: CodeRates) -> None:
        self._ctx = ctx
        self._catalog = catalog
        self._rates = rates
        self._random = random.Random(ctx.settings.routing_seed)

    async def prices(
        self, accounts: Sequence[UpstreamAccount], order: Order
    ) -> list[Decimal | None]:
        """Each account's price for the order in the routing currency; None: unknown."""

        async def price(account: UpstreamAccount) -> Decimal | None:
            factor = self._ctx.settings.price_rates.get(account.provider, Decimal(1))
            if factor is None:
                return None  # never compared 1:1 with another currency
            try:
                offers = await self._catalog.offers(account)
            except DomainError:
                return None
            by_service = {o.service: o.cost for o in offers}
            if not all(s in by_service for s in order.services):
                return None
            return sum((by_service[s] for s in order.services), Decimal(0)) * factor

        return list(await asyncio.gather(*(price(a) for a in accounts)))

    async def cheapest(
        self, accounts: list[UpstreamAccount], order: Order
    ) -> list[UpstreamAccount]:
        prices = await self.prices(accounts, order)
        known = [p for p in prices if p is not None]
        if not known:
            return accounts
        tied = min(known) + Decimal(str(self._ctx.settings.price_tie_band))

        def rank(i: int) -> tuple[bool, Decimal, int]:
            p = prices[i]
            if p is None:
                return True, Decimal(0), i
            return False, Decimal(0) if p <= tied else p, i  # the cheapest band: priority

        return [accounts[i] for i in sorted(range(len(accounts)), key=rank)]

    async def by_value(
        self, accounts: list[UpstreamAccount], order: Order
    ) -> list[UpstreamAccount]:
        prices = await self.prices(accounts, order)

        def cost_per_code(i: int) -> tuple[bool, float, int]:
            p = prices[i]
            if p is None:
                return True, 0.0, i
            share = min(self._rates.rate(accounts[i].provider, s) for s in order.services)
            return False, float(p) / max(share, FLOOR), i

        ranked = [accounts[i] for i in sorted(range(len(accounts)), key=cost_per_code)]
        if len(ranked) > 1 and self._random.random() < self._ctx.settings.value_explore:
            other = self._random.randrange(1, len(ranked))
            ranked.insert(0, ranked.pop(other))  # exploring: the rest keep their order
        return ranked

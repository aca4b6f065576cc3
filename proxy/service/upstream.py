"""Every call to the provider goes through here: it waits for its pacing slot first.

A 429 means the vendor did not act, so one more attempt after the pushed-out slot is
safe, even for a purchase; a second 429 is the client's answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from ..domain import LimitGroup, Tenant
from ..errors import RateLimited
from .context import Context

T = TypeVar("T")


class Gateway:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._default = LimitGroup("default", ctx.settings.default_rate_per_second)

    def group(self, operation: str) -> LimitGroup:
        return self._ctx.provider.limits.get(operation, self._default)

    def account(self, tenant: Tenant) -> str:
        return f"{self._ctx.provider.name}:{tenant.owner}"

    async def call(
        self,
        tenant: Tenant,
        operation: str,
        work: Callable[[], Awaitable[T]],
        *,
        max_wait: float | None = None,
    ) -> T:
        """`max_wait` shortens the bound for calls that have a fallback (a status poll is
        better answered from the store than after a long wait)."""
        group, account = self.group(operation), self.account(tenant)
        pacer = self._ctx.pacer
        turn = await pacer.acquire(account, group, max_wait)
        try:
            return await work()
        except RateLimited as refused:
            turn.finish(pacer.now())
            pacer.penalize(account, group, refused.retry_after)
            turn = await pacer.acquire(account, group)
            return await work()
        finally:
            turn.finish(pacer.now())

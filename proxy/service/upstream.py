"""Every call to a provider goes through here: it waits for its account's pacing slot.

A 429 means the vendor did not act, so one more attempt after the pushed-out slot is
safe, even for a purchase; a second 429 is the client's answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from proxy.domain import LimitGroup, Tenant, UpstreamAccount
from proxy.errors import AuthError, NotFound, RateLimited, TenantRateLimited
from proxy.ports import Provider
from proxy.service.context import REQUEST_SOURCE, Context

T = TypeVar("T")
Work = Callable[[Provider, str], Awaitable[T]]  # (the provider, the account's key)
KEY_CHECKS = "key-checks"  # the pacing account every unverified key's check shares
SOURCE = "source:"  # a source's bucket among the rates, beside tenants' names


class Gateway:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._default = LimitGroup("default", ctx.settings.default_rate_per_second)
        self._key_checks = LimitGroup("key-check", ctx.settings.unknown_key_checks_per_second)
        self._checks: dict[str, asyncio.Future[AuthError | None]] = {}  # by account, under way

    def provider(self, name: str) -> Provider:
        return self._ctx.providers[name]

    def group(self, account: UpstreamAccount, operation: str) -> LimitGroup:
        return self.provider(account.provider).limits.get(operation, self._default)

    @staticmethod
    def primary(tenant: Tenant) -> UpstreamAccount:
        """The account reads without an activation use (balance, prices)."""
        return tenant.accounts[0]

    @staticmethod
    def account_at(tenant: Tenant, provider: str) -> UpstreamAccount:
        """The tenant's account at the provider that sold an activation; an activation
        the tenant can no longer reach is, to it, not found."""
        account = tenant.account_at(provider)
        if account is None:
            raise NotFound()
        return account

    async def call(
        self,
        account: UpstreamAccount,
        operation: str,
        work: Work[T],
        *,
        max_wait: float | None = None,
    ) -> T:
        """`max_wait` shortens the bound for calls that have a fallback (a status poll is
        better answered from the store than after a long wait)."""
        while self._ctx.keys.unverified(account):
            under_way = self._checks.get(account.name)
            if under_way is None:
                return await self._checked(account, operation, work, max_wait)
            verdict = await asyncio.shield(under_way)  # the same new key's check is out
            if verdict is not None:
                raise verdict
        return await self._paced(account, operation, work, max_wait)

    async def _checked(
        self, account: UpstreamAccount, operation: str, work: Work[T], max_wait: float | None
    ) -> T:
        """A key no call has succeeded with: its call takes one of the fleet's key-check
        slots, and calls with the same key meanwhile wait for what the vendor says (the
        check is registered before anything is awaited: one check per key at a time)."""
        verdict: asyncio.Future[AuthError | None] = asyncio.get_running_loop().create_future()
        self._checks[account.name] = verdict
        refused: AuthError | None = None
        observer = self._ctx.observer
        try:
            await self._source_may_check()
            pacer = self._ctx.pacer
            try:
                check = await pacer.acquire(
                    KEY_CHECKS, self._key_checks, self._ctx.settings.unknown_key_check_wait_seconds
                )
            except RateLimited:
                observer.request_limited("key_check_wait")
                raise
            check.finish(pacer.now())
            try:
                answer = await self._paced(account, operation, work, max_wait)
            except AuthError:
                observer.key_checked("refused")
                raise
            except BaseException:
                observer.key_checked("undecided")
                raise
            observer.key_checked("accepted")
            self._ctx.keys.verified(account)
            return answer
        except AuthError as error:
            refused = error
            raise
        finally:
            del self._checks[account.name]
            verdict.set_result(refused)  # None: verified, or no verdict (check again)

    async def _source_may_check(self) -> None:
        """A source that starts key checks faster than `client_rate_per_second` is told
        to try again: one client's made-up keys cannot take every key-check slot."""
        source, settings = REQUEST_SOURCE.get(), self._ctx.settings
        if source is not None and settings.client_rate_per_second:
            wait = await self._ctx.rates.admit(
                SOURCE + source(), settings.client_rate_per_second, settings.client_burst
            )
            if wait:
                self._ctx.observer.request_limited("source")
                # answered a little later: a flood from one address slows to its own
                # concurrency a second, instead of taking the loop from everyone else
                await asyncio.sleep(settings.client_limited_delay_seconds)
                raise TenantRateLimited(wait)

    async def _paced(
        self, account: UpstreamAccount, operation: str, work: Work[T], max_wait: float | None
    ) -> T:
        provider = self.provider(account.provider)
        group, pacer = self.group(account, operation), self._ctx.pacer
        turn = await pacer.acquire(account.name, group, max_wait)
        try:
            return await work(provider, account.key)
        except AuthError:
            self._ctx.keys.refused(account)
            raise
        except RateLimited as refused:
            turn.finish(pacer.now())
            pacer.penalize(account.name, group, refused.retry_after)
            turn = await pacer.acquire(account.name, group)
            return await work(provider, account.key)
        finally:
            turn.finish(pacer.now())

"""Codes a vendor pushes (its webhook), each through one upstream account's URL."""

from __future__ import annotations

import hmac

from proxy.domain import Activation, PushedCode
from proxy.service.context import Context
from proxy.service.identity import Identity, webhook_token
from proxy.service.reconcile import Reconciler
from proxy.service.transitions import learn_code


class VendorWebhook:
    def __init__(self, ctx: Context, identity: Identity, reconciler: Reconciler) -> None:
        self._ctx = ctx
        self._identity = identity
        self._reconciler = reconciler

    def knows(self, provider: str) -> bool:
        return provider in self._ctx.providers

    def read(self, provider: str, body: object) -> PushedCode | None:
        return self._ctx.providers[provider].read_webhook(body)

    def token(self, provider: str, account_id: str) -> str:
        """The path token of one upstream account's webhook URL. A webhook can touch only
        the rentals of the account whose token it carries: one tenant's vendor account
        cannot plant a code in another's rental."""
        return webhook_token(self._ctx.settings.webhook_secret or "", provider, account_id)

    def _token_fits(self, provider: str, owner: str, token: str) -> bool:
        expected = self.token(provider, self._identity.account_id(provider, owner))
        return hmac.compare_digest(expected.encode(), token.encode())

    async def peek(self, provider: str, upstream_id: int) -> Activation | None:
        return await self._ctx.store.activations.by_upstream(provider, upstream_id)

    async def code_arrived(
        self, provider: str, token: str, pushed: PushedCode
    ) -> Activation | None:
        """A rental the store does not hold is adopted into the unknown purchase of that
        account it fits, if one does; anything else, another account's rental included,
        is ignored."""
        activation = await self._ctx.store.activations.by_upstream(provider, pushed.upstream_id)
        if activation is not None and not self._token_fits(provider, activation.owner, token):
            return None
        if activation is None and pushed.rental is not None:
            activation = await self._reconciler.adopt_pushed(
                provider, pushed.rental, lambda owner: self._token_fits(provider, owner, token)
            )
        if activation is None:
            return None
        updated = learn_code(activation, pushed.code, self._ctx.clock.now(), pushed.received_at)
        if updated != activation:
            await self._ctx.save(activation, updated)
        return updated

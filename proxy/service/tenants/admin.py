"""An operator's use cases on issued tenants: keys, policies, the ledger.

The admin API reaches it as `Service.operations.tenants`, whose changes reload the keys
of the running proxy at once; the CLI builds one over the store it opens (a running proxy
takes the change from the store within a second). One way in for both."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from decimal import Decimal

from proxy.domain import LedgerEntry, LedgerReason, ManagedKey, TenantPolicy
from proxy.ports import Clock, Store
from proxy.service.identity import Identity
from proxy.service.tenants import issued_keys as keys
from proxy.service.tenants.issued_keys import PolicyChange


class TenantAdmin:
    def __init__(
        self,
        store: Store,
        identity: Identity,
        clock: Clock,
        providers: Collection[str],
        reload: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        """`providers`: the names a key may be issued for; `reload`: what makes a change
        take effect in this process (None: the store is read again by whoever serves)."""
        self._store = store
        self._identity = identity
        self._clock = clock
        self._providers = providers
        self._reload = reload

    async def _changed(self) -> None:
        if self._reload is not None:
            await self._reload()

    async def issue_key(
        self,
        tenant: str,
        providers: Sequence[str],
        expires_in: float | None,
        policy: PolicyChange | None = None,
    ) -> tuple[str, ManagedKey]:
        """A new key (`ValueError` for an unknown provider or a policy that cannot work);
        `policy`, when given, is applied to the tenant first."""
        made = await keys.create(
            self._store,
            self._identity,
            tenant,
            providers,
            self._clock.now(),
            known=self._providers,
            expires_in=expires_in,
            policy=policy,
        )
        await self._changed()
        return made

    async def rotate_key(self, key_id: str, grace: float) -> tuple[str, ManagedKey] | None:
        made = await keys.rotate(self._store, self._identity, key_id, self._clock.now(), grace)
        await self._changed()
        return made

    async def revoke_key(self, key_id: str) -> ManagedKey | None:
        revoked = await keys.revoke(self._store, key_id, self._clock.now())
        await self._changed()
        return revoked

    async def issued_keys(self) -> list[ManagedKey]:
        return await self._store.tenants.keys()

    def signing_key(self, tenant: str) -> str:
        return keys.signing_key(self._identity, tenant)

    async def set_policy(self, tenant: str, change: PolicyChange) -> TenantPolicy:
        updated = await keys.set_policy(self._store, tenant, change)
        await self._changed()
        return updated

    async def policies(self) -> dict[str, TenantPolicy]:
        return await self._store.tenants.policies()

    async def ledger(
        self, tenant: str | None = None, since: float | None = None
    ) -> list[LedgerEntry]:
        return await self._store.ledger.entries(tenant, since)

    async def adjust(self, tenant: str, amount: Decimal, note: str) -> None:
        """An operator's correction: spend (or, negative, credit) in the tenant's ledger."""
        entry = LedgerEntry(tenant, LedgerReason.ADJUST, amount, self._clock.now(), note=note)
        await self._store.ledger.add(entry)

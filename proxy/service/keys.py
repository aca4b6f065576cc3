"""Client keys the proxy issues: made here, shown once, kept only as keyed fingerprints.

A key is 32 hex characters (128 bits from `secrets`): SMS-Activate's strictest client
refuses keys of any other length. Its public handle (`key_…`) names it in listings and
revocations; the key itself is never stored, logged or shown again.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Sequence

from ..domain import ManagedKey, TenantPolicy
from ..ports import ActivationStore
from .identity import Identity


async def issue(
    store: ActivationStore,
    identity: Identity,
    tenant: str,
    providers: Sequence[str],
    now: float,
    expires_in: float | None = None,
) -> tuple[str, ManagedKey]:
    """A new key for `tenant`: (the key, to show once; what is stored)."""
    key = secrets.token_hex(16)
    issued = ManagedKey(
        id=f"key_{secrets.token_hex(6)}",
        tenant=tenant,
        fingerprint=identity.fingerprint(key),
        providers=tuple(providers),
        created_at=now,
        expires_at=now + expires_in if expires_in is not None else None,
    )
    await store.key_add(issued)
    return key, issued


async def create(
    store: ActivationStore,
    identity: Identity,
    tenant: str,
    providers: Sequence[str],
    now: float,
    *,
    known: Collection[str],
    expires_in: float | None = None,
    max_active: int | None = None,
    services: Sequence[str] = (),
) -> tuple[str, ManagedKey]:
    """A key asked for by an operator (CLI or admin API): `ValueError` for a provider not
    in `known` or a cap below 1; a cap or services, when given, become the tenant's
    policy (the newest setting holds for every key of the tenant)."""
    unknown = set(providers) - set(known)
    if unknown:
        raise ValueError(f"no provider named {', '.join(sorted(unknown))}")
    if max_active is not None and max_active < 1:
        raise ValueError("max_active must be a whole number above 0")
    if max_active is not None or services:
        await store.policy_put(TenantPolicy(tenant, max_active, tuple(services)))
    return await issue(store, identity, tenant, providers, now, expires_in)


async def _find(store: ActivationStore, key_id: str) -> ManagedKey | None:
    return next((k for k in await store.keys() if k.id == key_id), None)


async def rotate(
    store: ActivationStore, identity: Identity, key_id: str, now: float, grace: float
) -> tuple[str, ManagedKey] | None:
    """A new key in place of `key_id` (same tenant, providers and lifetime left); the old
    one keeps working for `grace` seconds, so tools can be switched over. None when the
    key is unknown or no longer usable."""
    old = await _find(store, key_id)
    if old is None or not old.usable(now):
        return None
    left = old.expires_at - now if old.expires_at is not None else None
    made = await issue(store, identity, old.tenant, old.providers, now, left)
    ends = now + grace
    if old.expires_at is None or ends < old.expires_at:
        await store.key_put(old.evolve(expires_at=ends))
    return made


async def revoke(store: ActivationStore, key_id: str, now: float) -> ManagedKey | None:
    """The key, revoked from `now` (already revoked: as it was); None when unknown."""
    found = await _find(store, key_id)
    if found is None or found.revoked_at is not None:
        return found
    revoked = found.evolve(revoked_at=now)
    await store.key_put(revoked)
    return revoked

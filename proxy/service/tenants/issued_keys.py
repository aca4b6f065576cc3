"""Client keys the proxy issues: made here, shown once, kept only as keyed fingerprints.

A key is 32 hex characters (128 bits from `secrets`): SMS-Activate's strictest client
refuses keys of any other length. Its public handle (`key_…`) names it in listings and
revocations; the key itself is never stored, logged or shown again.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal

from proxy.domain import ManagedKey, TenantPolicy
from proxy.ports import Store
from proxy.service.identity import Identity

MAX_MONEY = Decimal(1_000_000)
MAX_RATE = 1000.0
WEBHOOK_URL = re.compile(r"https?://[^\s/?#]+[^\s]*", re.ASCII)


async def issue(
    store: Store,
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
    await store.tenants.add_key(issued)
    return key, issued


@dataclass(frozen=True)
class PolicyChange:
    """What an operator sets on a tenant; None leaves a limit as it was."""

    max_active: int | None = None
    services: tuple[str, ...] | None = None
    daily_budget: Decimal | None = None
    monthly_budget: Decimal | None = None
    rate_per_second: float | None = None
    countries: tuple[str, ...] | None = None
    max_prices: tuple[tuple[str, Decimal], ...] | None = None
    webhook_url: str | None = None
    upstream_balance: bool | None = None

    def check(self) -> None:
        """`ValueError` naming the first setting that cannot work."""
        if self.max_active is not None and self.max_active < 1:
            raise ValueError("max_active must be a whole number above 0")
        for name in ("daily_budget", "monthly_budget"):
            value = getattr(self, name)
            if value is not None and (not value.is_finite() or value < 0 or value > MAX_MONEY):
                raise ValueError(f"{name} must be an amount from 0 to {MAX_MONEY}")
        rate = self.rate_per_second
        if rate is not None and not 0 < rate <= MAX_RATE:
            raise ValueError(f"rate must be above 0 and at most {MAX_RATE:g} per second")
        for country in self.countries or ():
            if len(country) != 2 or not country.isalpha() or not country.isascii():
                raise ValueError(f"countries must be ISO 3166 codes such as us, not {country!r}")
        for service, price in self.max_prices or ():
            if not service or not price.is_finite() or not 0 < price <= MAX_MONEY:
                raise ValueError("max_prices must map services to amounts above 0")
        url = self.webhook_url
        if url is not None and url and not WEBHOOK_URL.fullmatch(url):
            raise ValueError("webhook_url must be an http(s) URL")

    def applied(self, policy: TenantPolicy) -> TenantPolicy:
        changes = {k: v for k, v in vars(self).items() if v is not None}
        if changes.get("webhook_url") == "":
            changes["webhook_url"] = None  # an empty URL switches the webhook off
        if "countries" in changes:
            changes["countries"] = tuple(c.lower() for c in changes["countries"])
        return policy.evolve(**changes)

    @property
    def empty(self) -> bool:
        return all(v is None for v in vars(self).values())


async def reload(store: Store, identity: Identity, now: float) -> bool:
    """The issued keys and policies taken from the store again (new keys, revocations,
    expiries); whether anything changed."""
    tenants = store.tenants
    return identity.use_managed(await tenants.keys(), now, await tenants.policies())


async def set_policy(store: Store, tenant: str, change: PolicyChange) -> TenantPolicy:
    """The tenant's policy with `change` applied, stored (the newest setting holds for
    every key of the tenant)."""
    change.check()
    current = (await store.tenants.policies()).get(tenant) or TenantPolicy(tenant)
    updated = change.applied(current)
    if updated != current:
        await store.tenants.put_policy(updated)
    return updated


async def create(
    store: Store,
    identity: Identity,
    tenant: str,
    providers: Sequence[str],
    now: float,
    *,
    known: Collection[str],
    expires_in: float | None = None,
    policy: PolicyChange | None = None,
) -> tuple[str, ManagedKey]:
    """A key asked for by an operator (CLI or admin API): `ValueError` for a provider not
    in `known` or a policy that cannot work; the policy change, when given, is applied to
    the tenant first."""
    unknown = set(providers) - set(known)
    if unknown:
        raise ValueError(f"no provider named {', '.join(sorted(unknown))}")
    if policy is not None:
        policy.check()
        if not policy.empty:
            await set_policy(store, tenant, policy)
    return await issue(store, identity, tenant, providers, now, expires_in)


def signing_key(identity: Identity, tenant: str) -> str:
    """The secret a tenant's webhook receiver checks signatures with (derived: the same
    after a restart, and it changes with the proxy's secret)."""
    return identity.fingerprint(f"webhook-out:{tenant}")


async def _find(store: Store, key_id: str) -> ManagedKey | None:
    return next((k for k in await store.tenants.keys() if k.id == key_id), None)


async def rotate(
    store: Store, identity: Identity, key_id: str, now: float, grace: float
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
        await store.tenants.put_key(old.evolve(expires_at=ends))
    return made


async def revoke(store: Store, key_id: str, now: float) -> ManagedKey | None:
    """The key, revoked from `now` (already revoked: as it was); None when unknown."""
    found = await _find(store, key_id)
    if found is None or found.revoked_at is not None:
        return found
    revoked = found.evolve(revoked_at=now)
    await store.tenants.put_key(revoked)
    return revoked

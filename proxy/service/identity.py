"""Keys become tenants: the key stays in memory, the store sees only its keyed fingerprint.

Without configured tenants a client key is passed through: it is the tenant's one
account, at the default provider. With them, a client key is known by its fingerprint
and maps to the upstream accounts the configuration gives it; any other key is bad.
Keys the proxy issued (`managed_keys`) are known the same way, from a snapshot of the
store that the service refreshes every second: a revoked or expired key stops working
within that second.

A passed-through key the proxy has not seen succeed at the vendor is "unverified": its
first vendor calls wait for a key-check slot (upstream.py), a fleet-wide pace, so a
flood of made-up keys reaches the vendor at that pace and no faster.
A passed-through key the vendor refused is remembered (by its fingerprint, for
`refused_key_ttl` seconds, in a bounded cache): asked again, it is refused without a
vendor call, so a client repeating a bad key cannot make the proxy hammer the vendor
with it. A key that becomes valid at the vendor is accepted again after the TTL.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping, Sequence

from cachetools import TTLCache

from proxy.domain import ManagedKey, Tenant, TenantPolicy, UpstreamAccount
from proxy.errors import BadKey, MissingKey
from proxy.inputs import clean_key
from proxy.local.recent import Recent

KNOWN_KEYS = 4096  # bounded: a flood of bogus keys passed through costs at most this
REFUSED_KEYS = 4096  # refused fingerprints remembered, at most (under a MiB)


class Identity:
    def __init__(
        self,
        secret: bytes,
        default_provider: str = "getatext",
        tenants: Mapping[str, Tenant] | None = None,
        accounts: Mapping[str, UpstreamAccount] | None = None,
        *,
        refused_key_ttl: float = 300.0,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._secret = secret
        self._refused: TTLCache[str, bool] = TTLCache(REFUSED_KEYS, refused_key_ttl, timer=now)
        self._verified: Recent[str, bool] = Recent(KNOWN_KEYS)  # answered by the vendor
        self._default = default_provider
        self._tenants = tenants  # fingerprint -> tenant; None: keys pass through
        self._accounts = accounts or {}  # by provider: what issued keys may reach
        self._managed: dict[str, Tenant] = {}  # fingerprint -> tenant of an issued key
        self._owners: dict[str, str] = {}  # tenant name -> its owner fingerprint
        self._issued: dict[str, Tenant] = {}  # owner -> a tenant of one of its usable keys
        # a fleet sends the same keys all day: one HMAC per key, not per request (in
        # memory only, like the keys themselves while a request is served)
        self._known: Recent[str, Tenant] = Recent(KNOWN_KEYS)

    def account_id(self, provider: str, owner: str) -> str:
        """The id of the upstream account an owner's activations at `provider` used: a
        passed-through key is its own account; a configured account is its provider's."""
        return owner if self._tenants is None else provider

    def house_account(self) -> UpstreamAccount | None:
        """An account of the proxy's own, for reads no client key stands behind: the
        first configured tenant's first provider, else one issued keys reach; None when
        client keys pass through (the proxy has no account then)."""
        for tenant in (self._tenants or {}).values():
            if tenant.accounts:
                return tenant.accounts[0]
        return next(iter(self._accounts.values()), None)

    @property
    def issues_keys(self) -> bool:
        """Client keys are issued here (and may be made while it runs)."""
        return bool(self._accounts)

    def issued_tenants(self) -> set[str]:
        """The tenants that have a usable issued key."""
        return {t.name for t in self._managed.values() if t.name is not None}

    def fingerprint(self, api_key: str) -> str:
        return hmac.new(self._secret, api_key.encode(), hashlib.sha256).hexdigest()[:32]

    def tenant(self, api_key: str | None) -> Tenant:
        """Checked before anything else happens: a key that could not be sent upstream
        (control characters, non-ASCII, absurd length) is a bad key, not a vendor call."""
        known = self._known.get(api_key) if api_key else None
        if known is not None:
            return known
        if not api_key or not api_key.strip():
            raise MissingKey()
        key = clean_key(api_key)
        if key is None:
            raise BadKey()
        owner = self.fingerprint(key)
        if self._tenants is None:
            if owner in self._refused:
                raise BadKey()  # the vendor refused it lately: it is not asked again
            tenant: Tenant | None = Tenant(owner, (UpstreamAccount(self._default, key, owner),))
        else:
            tenant = self._tenants.get(owner) or self._managed.get(owner)
        if tenant is None or not tenant.accounts:
            raise BadKey()  # never remembered: a flood of bad keys leaves nothing behind
        self._known[api_key] = tenant
        return tenant

    def unverified(self, account: UpstreamAccount) -> bool:
        """A passed-through key no vendor call has succeeded with yet (configured and
        issued accounts are the operator's: always verified)."""
        return self._tenants is None and account.id not in self._verified

    def verified(self, account: UpstreamAccount) -> None:
        if self._tenants is None:
            self._verified[account.id] = True

    def refused(self, account: UpstreamAccount) -> None:
        """The vendor refused this account's key: a passed-through key is remembered as
        bad for the TTL (an operator's account is the operator's to fix: not this)."""
        if self._tenants is None:  # the account's id is its key's fingerprint
            self._refused[account.id] = True
            self._verified.pop(account.id, None)
            self._known.pop(account.key, None)

    def refused_count(self) -> int:
        self._refused.expire()
        return len(self._refused)

    def owner_of(self, tenant: str) -> str:
        """The owner every key of an issued tenant shares: its activations outlive a key."""
        owner = self._owners.get(tenant)
        if owner is None:
            owner = self._owners[tenant] = self.fingerprint(f"tenant:{tenant}")
        return owner

    def issued(self) -> dict[str, Tenant]:
        """Each issued tenant with a usable key, by owner (work done on their behalf)."""
        return self._issued

    def use_managed(
        self,
        keys: Sequence[ManagedKey],
        now: float,
        policies: Mapping[str, TenantPolicy] | None = None,
    ) -> bool:
        """Take a fresh snapshot of the issued keys; True when it changed anything."""
        managed: dict[str, Tenant] = {}
        policies = policies or {}
        for key in keys:
            names = key.providers or tuple(self._accounts)
            reachable = sorted(
                (self._accounts[n] for n in names if n in self._accounts),
                key=lambda a: a.priority,
            )
            if key.usable(now) and reachable:
                managed[key.fingerprint] = Tenant(
                    self.owner_of(key.tenant),
                    tuple(reachable),
                    name=key.tenant,
                    key_id=key.id,
                    policy=policies.get(key.tenant) or TenantPolicy(key.tenant),
                )
        if managed == self._managed:
            return False
        self._managed = managed
        self._issued = {t.owner: t for t in managed.values()}
        self._known.clear()  # a revoked key must not live on in the cache
        return True


def webhook_token(secret: str, provider: str, account_id: str) -> str:
    """The path token of one upstream account's webhook URL (from the webhook secret)."""
    message = f"webhook:{provider}:{account_id}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def key_webhook_path(
    webhook_secret: str, fingerprint_secret: bytes, api_key: str, provider: str = "getatext"
) -> str:
    """The webhook path of a passed-through client key (each key is its own account)."""
    owner = Identity(fingerprint_secret).fingerprint(api_key)
    return f"/webhooks/{provider}/{webhook_token(webhook_secret, provider, owner)}"

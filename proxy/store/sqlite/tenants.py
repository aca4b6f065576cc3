"""SQLite: issued keys and tenants' policies."""

from __future__ import annotations

from proxy.domain import (
    ManagedKey,
    TenantPolicy,
)
from proxy.store.policies import policy_document, policy_from
from proxy.store.rows import (
    key_from,
    key_row,
)
from proxy.store.sqlite.db import SqliteDb


class SqliteTenants:
    """Issued keys and tenants' policies."""

    def __init__(self, db: SqliteDb) -> None:
        self._db = db

    async def add_key(self, key: ManagedKey) -> None:
        await self._db.execute(
            "INSERT INTO managed_keys VALUES (?, ?, ?, ?, ?, ?, ?)", *key_row(key)
        )

    async def put_key(self, key: ManagedKey) -> None:
        await self._db.execute(
            "UPDATE managed_keys SET tenant=?, fingerprint=?, providers=?, created_at=?, "
            "expires_at=?, revoked_at=? WHERE id=?",
            *key_row(key)[1:],
            key.id,
        )

    async def keys(self) -> list[ManagedKey]:
        rows = await self._db.query("SELECT * FROM managed_keys ORDER BY created_at, id")
        return [key_from(r) for r in rows]

    async def put_policy(self, policy: TenantPolicy) -> None:
        await self._db.execute(
            "INSERT OR REPLACE INTO tenant_policies (tenant, max_active, services, document) "
            "VALUES (?, ?, ?, ?)",
            policy.tenant,
            policy.max_active,
            ",".join(policy.services),
            policy_document(policy),
        )

    async def policies(self) -> dict[str, TenantPolicy]:
        rows = await self._db.query("SELECT * FROM tenant_policies")
        return {
            r["tenant"]: policy_from(r["tenant"], r["document"])
            if r["document"]
            else TenantPolicy(
                r["tenant"], r["max_active"], tuple(s for s in r["services"].split(",") if s)
            )
            for r in rows
        }

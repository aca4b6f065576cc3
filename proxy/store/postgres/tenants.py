"""PostgreSQL: issued keys and tenants' policies."""

from __future__ import annotations

from proxy.domain import (
    ManagedKey,
    TenantPolicy,
)
from proxy.store.policies import policy_document, policy_from
from proxy.store.postgres.db import PgDb
from proxy.store.rows import (
    key_from,
    key_row,
)


class PgTenants:
    """Issued keys and tenants' policies."""

    def __init__(self, db: PgDb) -> None:
        self._db = db

    async def add_key(self, key: ManagedKey) -> None:
        await self._db.execute(
            "INSERT INTO managed_keys (id, tenant, fingerprint, providers, created_at, "
            "expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            *key_row(key),
        )

    async def put_key(self, key: ManagedKey) -> None:
        await self._db.execute(
            "UPDATE managed_keys SET tenant=$1, fingerprint=$2, providers=$3, created_at=$4, "
            "expires_at=$5, revoked_at=$6 WHERE id=$7",
            *key_row(key)[1:],
            key.id,
        )

    async def keys(self) -> list[ManagedKey]:
        rows = await self._db.fetch("SELECT * FROM managed_keys ORDER BY created_at, id")
        return [key_from(r) for r in rows]

    async def put_policy(self, policy: TenantPolicy) -> None:
        await self._db.execute(
            "INSERT INTO tenant_policies (tenant, document) VALUES ($1, $2) "
            "ON CONFLICT (tenant) DO UPDATE SET document = EXCLUDED.document",
            policy.tenant,
            policy_document(policy),
        )

    async def policies(self) -> dict[str, TenantPolicy]:
        rows = await self._db.fetch("SELECT tenant, document FROM tenant_policies")
        return {r["tenant"]: policy_from(r["tenant"], r["document"]) for r in rows}

"""The shared store: PostgreSQL through an asyncpg pool, for several replicas at once.

Every write commits before the call returns. Where two replicas could race, the
database decides: ids come from sequences, an order reference is a primary key, and a
budget hold takes a transaction-scoped advisory lock on its tenant before it checks and
writes (the same lock in every replica, so two holds never both fit). The schema is
versioned (`store.pg_schema`) and migrated at start under an advisory lock (`smsproxy
migrate` does the same on its own).

A purchase that stayed pending longer than any purchase can take belonged to a replica
that died: it is marked unknown (at start and then every minute), and reconciled as any
unknown purchase.

When PostgreSQL cannot be reached the store raises `StoreUnavailable`: a purchase is
refused in its protocol (nothing leaves without a durable journal entry), and reads of
activations this process has seen lately are answered from memory.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from decimal import Decimal
from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from proxy.domain import (
    Activation,
    Delivery,
    LedgerEntry,
    LongRental,
    ManagedKey,
    Purchase,
    PurchaseState,
    TenantPolicy,
)
from proxy.errors import StoreUnavailable
from proxy.local.recent import Recent
from proxy.store.pg_schema import migrate
from proxy.store.policies import policy_document, policy_from
from proxy.store.rows import (
    COLUMNS,
    LEDGER_COLUMNS,
    LONG_COLUMNS,
    OPEN,
    OUTBOX_COLUMNS,
    PURCHASE_COLUMNS,
    activation_from,
    activation_row,
    delivery_from,
    from_micros,
    key_from,
    key_row,
    ledger_entry_from,
    ledger_row,
    long_from,
    long_row,
    micros,
    outbox_row,
    purchase_from,
    purchase_row,
)

log = logging.getLogger("smsproxy.store")
RECENT_ACTIVATIONS = 50_000
PENDING_LONGEST = 120.0  # no purchase stays pending this long in a live replica
Conn: TypeAlias = "PoolConnectionProxy[asyncpg.Record]"
UNREACHABLE = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,  # the connection broke
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, starting up
)


def _marks(count: int, start: int = 1) -> str:
    return ",".join(f"${i}" for i in range(start, start + count))


def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({','.join(columns)}) VALUES ({_marks(len(columns))})"


def _update_sql(table: str, columns: tuple[str, ...]) -> str:
    sets = ",".join(f"{c}=${i}" for i, c in enumerate(columns, 1))
    return f"UPDATE {table} SET {sets} WHERE id=${len(columns) + 1}"


class PostgresStore:
    def __init__(
        self,
        dsn: str,
        *,
        schema: str | None = None,
        first_id: int = 100_000,
        pool_size: int = 10,
        now: Any = None,
    ) -> None:
        self._dsn = dsn
        self._schema = schema
        self._first_id = first_id
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()
        self._recent: Recent[int, Activation] = Recent(RECENT_ACTIVATIONS)
        self._now = now

    # -- connections ----------------------------------------------------------------------
    async def _open(self) -> asyncpg.Pool:
        async with self._opening:
            if self._pool is None:
                settings = {"search_path": self._schema} if self._schema else {}
                if self._schema:
                    first = await asyncpg.connect(self._dsn)
                    try:
                        await first.execute(f'CREATE SCHEMA IF NOT EXISTS "{self._schema}"')
                    finally:
                        await first.close()
                pool = await asyncpg.create_pool(
                    self._dsn,
                    min_size=1,
                    max_size=self._pool_size,
                    server_settings=settings,
                    command_timeout=10,
                )
                async with pool.acquire() as conn:
                    await migrate(conn, self._first_id)
                    await self._mark_stale(conn)
                self._pool = pool
            return self._pool

    @asynccontextmanager
    async def _conn(self) -> AsyncIterator[Conn]:
        try:
            pool = self._pool or await self._open()
            async with pool.acquire() as conn:
                yield conn
        except UNREACHABLE as down:
            raise StoreUnavailable(f"PostgreSQL unreachable: {type(down).__name__}") from down

    async def _fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        async with self._conn() as conn:
            return list(await conn.fetch(sql, *args))

    async def _execute(self, sql: str, *args: Any) -> str:
        async with self._conn() as conn:
            return str(await conn.execute(sql, *args))

    @staticmethod
    def _changed(status: str) -> int:
        """Rows an INSERT/UPDATE/DELETE status line says it changed."""
        return int(status.rsplit(" ", 1)[-1])

    async def _mark_stale(self, conn: Conn | asyncpg.Connection) -> None:
        await conn.execute(
            "UPDATE purchases SET state=$1, note=$2 WHERE state='pending' "
            "AND created_at < EXTRACT(EPOCH FROM clock_timestamp()) - $3",
            PurchaseState.UNKNOWN.value,
            "under way when its replica stopped",
            PENDING_LONGEST,
        )

    async def mark_stale(self) -> None:
        """Pending purchases of replicas that died become unknown (reconciled later)."""
        async with self._conn() as conn:
            await self._mark_stale(conn)

    def _remember(self, rows: Sequence[asyncpg.Record]) -> list[Activation]:
        found = [activation_from(r) for r in rows]
        for activation in found:
            self._recent[activation.id] = activation
        return found

    # -- activations ----------------------------------------------------------------------
    async def add(self, activation: Activation) -> Activation:
        sql = _insert_sql("activations", COLUMNS) + " RETURNING id"
        async with self._conn() as conn:
            new_id = await conn.fetchval(sql, *activation_row(activation))
        stored = activation.evolve(id=int(new_id))
        self._recent[stored.id] = stored
        return stored

    def peek(self, activation_id: int) -> Activation | None:
        return None  # other replicas write the rows: only a read knows them

    async def get(self, activation_id: int) -> Activation | None:
        try:
            rows = await self._fetch("SELECT * FROM activations WHERE id=$1", activation_id)
        except StoreUnavailable:
            known = self._recent.get(activation_id)
            if known is None:
                raise
            return known  # what this process saw last: reads go on while PostgreSQL is away
        return self._remember(rows)[0] if rows else None

    async def put(self, activation: Activation) -> None:
        await self._execute(
            _update_sql("activations", COLUMNS), *activation_row(activation), activation.id
        )
        self._recent[activation.id] = activation

    async def open_for(self, owner: str) -> list[Activation]:
        rows = await self._fetch(
            f"SELECT * FROM activations WHERE owner=$1 AND status IN ({_marks(len(OPEN), 2)}) "
            "ORDER BY id",
            owner,
            *OPEN,
        )
        return self._remember(rows)

    async def open_ended(
        self, owners: Sequence[str], before: float, limit: int
    ) -> list[Activation]:
        if not owners:
            return []
        rows = await self._fetch(
            "SELECT * FROM activations WHERE owner = ANY($1::text[]) AND status = ANY($2::text[]) "
            "AND end_time <= $3 ORDER BY end_time LIMIT $4",
            list(owners),
            list(OPEN),
            before,
            limit,
        )
        return self._remember(rows)

    async def by_upstream(self, provider: str, upstream_id: int) -> Activation | None:
        rows = await self._fetch(
            "SELECT * FROM activations WHERE provider=$1 AND upstream_id=$2 "
            "ORDER BY id DESC LIMIT 1",
            provider,
            upstream_id,
        )
        return self._remember(rows)[0] if rows else None

    async def counts(self) -> dict[str, int]:
        rows = await self._fetch("SELECT status, COUNT(*) AS n FROM activations GROUP BY status")
        return {r["status"]: int(r["n"]) for r in rows}

    async def history(
        self, owner: str, limit: int, offset: int, newest_first: bool
    ) -> tuple[list[Activation], int]:
        direction = "DESC" if newest_first else "ASC"
        async with self._conn() as conn:
            rows = await conn.fetch(
                f"SELECT * FROM activations WHERE owner=$1 ORDER BY id {direction} "
                "LIMIT $2 OFFSET $3",
                owner,
                limit,
                offset,
            )
            total = await conn.fetchval("SELECT COUNT(*) FROM activations WHERE owner=$1", owner)
        return self._remember(rows), int(total)

    async def last_on_number(self, owner: str, number: str, service: str) -> Activation | None:
        rows = await self._fetch(
            "SELECT * FROM activations WHERE owner=$1 AND number=$2 AND service=$3 "
            "ORDER BY id DESC LIMIT 1",
            owner,
            number,
            service,
        )
        return self._remember(rows)[0] if rows else None

    async def max_upstream_id(self, provider: str) -> int:
        async with self._conn() as conn:
            found = await conn.fetchval(
                "SELECT MAX(upstream_id) FROM activations WHERE provider=$1", provider
            )
        return int(found or 0)

    # -- order references and max prices ---------------------------------------------------
    async def claim_order_ref(self, owner: str, ref: str) -> bool:
        status = await self._execute(
            "INSERT INTO order_refs (owner, ref) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            owner,
            ref,
        )
        return self._changed(status) == 1

    async def release_order_ref(self, owner: str, ref: str) -> None:
        await self._execute("DELETE FROM order_refs WHERE owner=$1 AND ref=$2", owner, ref)

    async def max_prices(self, owner: str) -> dict[str, Decimal]:
        rows = await self._fetch("SELECT service, price FROM max_prices WHERE owner=$1", owner)
        return {r["service"]: Decimal(r["price"]) for r in rows}

    async def set_max_price(self, owner: str, service: str, price: Decimal) -> None:
        await self._execute(
            "INSERT INTO max_prices (owner, service, price) VALUES ($1, $2, $3) "
            "ON CONFLICT (owner, service) DO UPDATE SET price = EXCLUDED.price",
            owner,
            service,
            str(price),
        )

    async def delete_max_price(self, owner: str, service: str) -> bool:
        status = await self._execute(
            "DELETE FROM max_prices WHERE owner=$1 AND service=$2", owner, service
        )
        return self._changed(status) > 0

    # -- the purchase journal --------------------------------------------------------------
    async def journal_add(self, purchase: Purchase) -> Purchase:
        sql = _insert_sql("purchases", PURCHASE_COLUMNS) + " RETURNING id"
        async with self._conn() as conn:
            new_id = await conn.fetchval(sql, *purchase_row(purchase))
        return purchase.evolve(id=int(new_id))

    async def journal_put(self, purchase: Purchase) -> None:
        await self._execute(
            _update_sql("purchases", PURCHASE_COLUMNS), *purchase_row(purchase), purchase.id
        )

    async def journal_get(self, purchase_id: int) -> Purchase | None:
        rows = await self._fetch("SELECT * FROM purchases WHERE id=$1", purchase_id)
        return purchase_from(rows[0]) if rows else None

    async def journal_list(
        self, state: PurchaseState | None = None, owner: str | None = None, limit: int = 100
    ) -> list[Purchase]:
        rows = await self._fetch(
            "SELECT * FROM purchases WHERE ($1::text IS NULL OR state=$1) "
            "AND ($2::text IS NULL OR owner=$2) ORDER BY id DESC LIMIT $3",
            None if state is None else state.value,
            owner,
            limit,
        )
        return [purchase_from(r) for r in rows]

    async def journal_counts(self) -> dict[str, int]:
        rows = await self._fetch("SELECT state, COUNT(*) AS n FROM purchases GROUP BY state")
        return {r["state"]: int(r["n"]) for r in rows}

    # -- issued keys and tenant policies ------------------------------------------------------
    async def key_add(self, key: ManagedKey) -> None:
        await self._execute(
            "INSERT INTO managed_keys (id, tenant, fingerprint, providers, created_at, "
            "expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            *key_row(key),
        )

    async def key_put(self, key: ManagedKey) -> None:
        await self._execute(
            "UPDATE managed_keys SET tenant=$1, fingerprint=$2, providers=$3, created_at=$4, "
            "expires_at=$5, revoked_at=$6 WHERE id=$7",
            *key_row(key)[1:],
            key.id,
        )

    async def keys(self) -> list[ManagedKey]:
        rows = await self._fetch("SELECT * FROM managed_keys ORDER BY created_at, id")
        return [key_from(r) for r in rows]

    async def policy_put(self, policy: TenantPolicy) -> None:
        await self._execute(
            "INSERT INTO tenant_policies (tenant, document) VALUES ($1, $2) "
            "ON CONFLICT (tenant) DO UPDATE SET document = EXCLUDED.document",
            policy.tenant,
            policy_document(policy),
        )

    async def policies(self) -> dict[str, TenantPolicy]:
        rows = await self._fetch("SELECT tenant, document FROM tenant_policies")
        return {r["tenant"]: policy_from(r["tenant"], r["document"]) for r in rows}

    # -- the ledger -------------------------------------------------------------------------
    _SPENT = (
        "SELECT COALESCE(SUM(micros), 0) FROM ledger WHERE tenant=$1 AND at>=$2 "
        "AND reason IN ('charge', 'refund', 'adjust')"
    )
    _HELD = "SELECT COALESCE(SUM(micros), 0) FROM budget_holds WHERE tenant=$1 AND at>=$2"
    _APPEND = (
        _insert_sql("ledger", LEDGER_COLUMNS)
        + " ON CONFLICT (activation_id, reason) WHERE activation_id IS NOT NULL "
        "AND reason IN ('charge', 'refund') DO NOTHING"
    )

    async def ledger_hold(
        self, entry: LedgerEntry, limits: Sequence[tuple[float, Decimal]], lapse_before: float
    ) -> bool:
        wanted = micros(entry.amount)
        async with self._conn() as conn, conn.transaction():
            # every replica takes the same lock for the tenant: check and write as one
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", entry.tenant)
            held = int(await conn.fetchval(self._HELD, entry.tenant, lapse_before))
            for since, limit in limits:
                spent = int(await conn.fetchval(self._SPENT, entry.tenant, since))
                if spent + held + wanted > micros(limit):
                    return False
            await conn.execute(
                "INSERT INTO budget_holds (purchase_id, tenant, micros, at) VALUES ($1,$2,$3,$4)",
                entry.purchase_id,
                entry.tenant,
                wanted,
                entry.at,
            )
            await conn.execute(self._APPEND, *ledger_row(entry))
        return True

    async def ledger_release(self, template: LedgerEntry) -> bool:
        async with self._conn() as conn, conn.transaction():
            found = await conn.fetchval(
                "DELETE FROM budget_holds WHERE purchase_id=$1 RETURNING micros",
                template.purchase_id,
            )
            if found is None:
                return False
            released = replace(template, amount=-from_micros(int(found)))
            await conn.execute(self._APPEND, *ledger_row(released))
        return True

    async def ledger_add(self, entry: LedgerEntry) -> bool:
        return self._changed(await self._execute(self._APPEND, *ledger_row(entry))) == 1

    async def ledger_hold_of(self, purchase_id: int) -> LedgerEntry | None:
        rows = await self._fetch(
            "SELECT * FROM ledger WHERE purchase_id=$1 AND reason='reserve'", purchase_id
        )
        return ledger_entry_from(rows[0]) if rows else None

    async def ledger_charge_of(self, activation_id: int) -> LedgerEntry | None:
        rows = await self._fetch(
            "SELECT * FROM ledger WHERE activation_id=$1 AND reason='charge'", activation_id
        )
        return ledger_entry_from(rows[0]) if rows else None

    async def ledger_entries(
        self, tenant: str | None = None, since: float | None = None, limit: int = 100_000
    ) -> list[LedgerEntry]:
        rows = await self._fetch(
            "SELECT * FROM ledger WHERE ($1::text IS NULL OR tenant=$1) "
            "AND ($2::float8 IS NULL OR at>=$2) ORDER BY id LIMIT $3",
            tenant,
            since,
            limit,
        )
        return [ledger_entry_from(r) for r in rows]

    async def ledger_spent(self, tenant: str, since: float) -> Decimal:
        async with self._conn() as conn:
            return from_micros(int(await conn.fetchval(self._SPENT, tenant, since)))

    async def ledger_held(self, tenant: str, lapse_before: float) -> Decimal:
        async with self._conn() as conn:
            return from_micros(int(await conn.fetchval(self._HELD, tenant, lapse_before)))

    # -- the webhook outbox -----------------------------------------------------------------
    async def outbox_add(self, delivery: Delivery, bound: int) -> tuple[Delivery | None, int]:
        async with self._conn() as conn, conn.transaction():
            new_id = await conn.fetchval(
                _insert_sql("outbox", OUTBOX_COLUMNS)
                + " ON CONFLICT (activation_id, code) DO NOTHING RETURNING id",
                *outbox_row(delivery),
            )
            if new_id is None:
                return None, 0
            status = await conn.execute(
                "UPDATE outbox SET state='failed', last_error='outbox full' WHERE id IN "
                "(SELECT id FROM outbox WHERE tenant=$1 AND state='pending' "
                "ORDER BY id DESC OFFSET $2)",
                delivery.tenant,
                bound,
            )
        return delivery.evolve(id=int(new_id)), self._changed(status)

    async def outbox_due(self, now: float, limit: int) -> list[Delivery]:
        rows = await self._fetch(
            "SELECT * FROM outbox WHERE state='pending' AND next_at<=$1 ORDER BY next_at, id "
            "LIMIT $2",
            now,
            limit,
        )
        return [delivery_from(r) for r in rows]

    async def outbox_put(self, delivery: Delivery) -> None:
        await self._execute(
            _update_sql("outbox", OUTBOX_COLUMNS), *outbox_row(delivery), delivery.id
        )

    async def outbox_list(self, tenant: str | None = None, limit: int = 100) -> list[Delivery]:
        rows = await self._fetch(
            "SELECT * FROM outbox WHERE ($1::text IS NULL OR tenant=$1) ORDER BY id DESC LIMIT $2",
            tenant,
            limit,
        )
        return [delivery_from(r) for r in rows]

    async def outbox_counts(self) -> dict[str, int]:
        rows = await self._fetch("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state")
        return {r["state"]: int(r["n"]) for r in rows}

    # -- long rentals -----------------------------------------------------------------------
    async def long_add(self, rental: LongRental) -> LongRental:
        sql = _insert_sql("long_rentals", LONG_COLUMNS) + " RETURNING id"
        async with self._conn() as conn:
            new_id = await conn.fetchval(sql, *long_row(rental))
        return rental.evolve(id=int(new_id))

    async def long_get(self, rental_id: int) -> LongRental | None:
        rows = await self._fetch("SELECT * FROM long_rentals WHERE id=$1", rental_id)
        return long_from(rows[0]) if rows else None

    async def long_put(self, rental: LongRental) -> None:
        await self._execute(_update_sql("long_rentals", LONG_COLUMNS), *long_row(rental), rental.id)

    async def long_for(self, owner: str) -> list[LongRental]:
        rows = await self._fetch(
            "SELECT * FROM long_rentals WHERE owner=$1 ORDER BY id DESC", owner
        )
        return [long_from(r) for r in rows]

    async def long_by_upstream(self, provider: str, upstream_id: int) -> LongRental | None:
        rows = await self._fetch(
            "SELECT * FROM long_rentals WHERE provider=$1 AND upstream_id=$2 ORDER BY id DESC "
            "LIMIT 1",
            provider,
            upstream_id,
        )
        return long_from(rows[0]) if rows else None

    async def long_counts(self) -> dict[str, int]:
        rows = await self._fetch("SELECT state, COUNT(*) FROM long_rentals GROUP BY state")
        return {str(r[0]): int(r[1]) for r in rows}

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

"""The default store: one SQLite file in WAL mode.

Each write is committed before the call returns, so an activation is on disk before the
client sees its id; WAL with synchronous=NORMAL survives a killed process (the data is in
the OS) and loses at most the last commits on power loss, which FULL would also cover at
a latency cost (configurable).

SQLite runs in one worker thread of its own, in the order the calls were made, so a
query or a WAL checkpoint never stalls the event loop. The activations written or read
lately are also kept in memory (this process owns the file), so a status poll answered
from state costs no query at all. Counts per status, per journal state and per owner
are kept by triggers, so /metrics, /readyz and history do not count rows.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from cachetools import LRUCache

from ..domain import (
    Activation,
    ActivationStatus,
    ManagedKey,
    Purchase,
    PurchaseState,
    TenantPolicy,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS activations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider TEXT NOT NULL,
    upstream_id INTEGER NOT NULL,
    owner TEXT NOT NULL,
    number TEXT NOT NULL,
    service TEXT NOT NULL,
    cost TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at REAL NOT NULL,
    end_time REAL NOT NULL,
    code TEXT,
    retry_code TEXT,
    multiple_sms INTEGER NOT NULL,
    upstream_viewed INTEGER NOT NULL,
    code_at REAL,
    checked_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS activations_owner_status ON activations (owner, status);
DROP INDEX IF EXISTS activations_upstream;
CREATE INDEX IF NOT EXISTS activations_by_upstream ON activations (provider, upstream_id, id);
CREATE INDEX IF NOT EXISTS activations_number ON activations (owner, number, service);
CREATE INDEX IF NOT EXISTS activations_owner_id ON activations (owner, id);
CREATE TABLE IF NOT EXISTS order_refs (
    owner TEXT NOT NULL,
    ref TEXT NOT NULL,
    PRIMARY KEY (owner, ref)
);
CREATE TABLE IF NOT EXISTS purchases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner TEXT NOT NULL,
    provider TEXT NOT NULL,
    operation TEXT NOT NULL,
    services TEXT NOT NULL,
    order_key TEXT NOT NULL,
    created_at REAL NOT NULL,
    state TEXT NOT NULL,
    order_ref TEXT,
    upstream_floor INTEGER NOT NULL,
    balance_before TEXT,
    settled_at REAL,
    activation_ids TEXT NOT NULL,
    note TEXT NOT NULL,
    answered INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS purchases_state ON purchases (state, id);
CREATE INDEX IF NOT EXISTS purchases_owner ON purchases (owner, id);
CREATE TABLE IF NOT EXISTS managed_keys (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    fingerprint TEXT NOT NULL UNIQUE,
    providers TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL,
    revoked_at REAL
);
CREATE TABLE IF NOT EXISTS tenant_policies (
    tenant TEXT PRIMARY KEY,
    max_active INTEGER,
    services TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS max_prices (
    owner TEXT NOT NULL,
    service TEXT NOT NULL,
    price TEXT NOT NULL,
    PRIMARY KEY (owner, service)
);
"""
# counters kept by the database itself; filled from the rows once, when they are new
COUNTERS = """
CREATE TABLE activation_counts (status TEXT PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE owner_totals (owner TEXT PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE purchase_counts (state TEXT PRIMARY KEY, n INTEGER NOT NULL);
INSERT INTO activation_counts SELECT status, COUNT(*) FROM activations GROUP BY status;
INSERT INTO owner_totals SELECT owner, COUNT(*) FROM activations GROUP BY owner;
INSERT INTO purchase_counts SELECT state, COUNT(*) FROM purchases GROUP BY state;
CREATE TRIGGER activation_added AFTER INSERT ON activations BEGIN
    INSERT INTO activation_counts VALUES (NEW.status, 1)
        ON CONFLICT (status) DO UPDATE SET n = n + 1;
    INSERT INTO owner_totals VALUES (NEW.owner, 1) ON CONFLICT (owner) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER activation_moved AFTER UPDATE OF status ON activations
WHEN OLD.status <> NEW.status BEGIN
    UPDATE activation_counts SET n = n - 1 WHERE status = OLD.status;
    INSERT INTO activation_counts VALUES (NEW.status, 1)
        ON CONFLICT (status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER purchase_added AFTER INSERT ON purchases BEGIN
    INSERT INTO purchase_counts VALUES (NEW.state, 1) ON CONFLICT (state) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER purchase_moved AFTER UPDATE OF state ON purchases
WHEN OLD.state <> NEW.state BEGIN
    UPDATE purchase_counts SET n = n - 1 WHERE state = OLD.state;
    INSERT INTO purchase_counts VALUES (NEW.state, 1) ON CONFLICT (state) DO UPDATE SET n = n + 1;
END;
"""
RECENT_ACTIVATIONS = 50_000  # kept in memory: far more than a fleet has open at once
T = TypeVar("T")
COLUMNS = (
    "provider",
    "upstream_id",
    "owner",
    "number",
    "service",
    "cost",
    "status",
    "created_at",
    "end_time",
    "code",
    "retry_code",
    "multiple_sms",
    "upstream_viewed",
    "code_at",
    "checked_at",
)
OPEN = tuple(s.value for s in ActivationStatus if s.is_open)


def _row(a: Activation) -> tuple[object, ...]:
    return (
        a.provider,
        a.upstream_id,
        a.owner,
        a.number,
        a.service,
        str(a.cost),
        a.status.value,
        a.created_at,
        a.end_time,
        a.code,
        a.retry_code,
        int(a.multiple_sms),
        int(a.upstream_viewed),
        a.code_at,
        a.checked_at,
    )


def _activation(r: sqlite3.Row) -> Activation:
    return Activation(
        id=r["id"],
        provider=r["provider"],
        upstream_id=r["upstream_id"],
        owner=r["owner"],
        number=r["number"],
        service=r["service"],
        cost=Decimal(r["cost"]),
        status=ActivationStatus(r["status"]),
        created_at=r["created_at"],
        end_time=r["end_time"],
        code=r["code"],
        retry_code=r["retry_code"],
        multiple_sms=bool(r["multiple_sms"]),
        upstream_viewed=bool(r["upstream_viewed"]),
        code_at=r["code_at"],
        checked_at=r["checked_at"],
    )


PURCHASE_COLUMNS = (
    "owner",
    "provider",
    "operation",
    "services",
    "order_key",
    "created_at",
    "state",
    "order_ref",
    "upstream_floor",
    "balance_before",
    "settled_at",
    "activation_ids",
    "note",
    "answered",
)


def _purchase_row(p: Purchase) -> tuple[object, ...]:
    return (
        p.owner,
        p.provider,
        p.operation,
        ",".join(p.services),
        p.order_key,
        p.created_at,
        p.state.value,
        p.order_ref,
        p.upstream_floor,
        None if p.balance_before is None else str(p.balance_before),
        p.settled_at,
        ",".join(str(i) for i in p.activation_ids),
        p.note,
        int(p.answered),
    )


def _purchase(r: sqlite3.Row) -> Purchase:
    return Purchase(
        id=r["id"],
        owner=r["owner"],
        provider=r["provider"],
        operation=r["operation"],
        services=tuple(s for s in r["services"].split(",") if s),
        order_key=r["order_key"],
        created_at=r["created_at"],
        state=PurchaseState(r["state"]),
        order_ref=r["order_ref"],
        upstream_floor=r["upstream_floor"],
        balance_before=None if r["balance_before"] is None else Decimal(r["balance_before"]),
        settled_at=r["settled_at"],
        activation_ids=tuple(int(i) for i in r["activation_ids"].split(",") if i),
        note=r["note"],
        answered=bool(r["answered"]),
    )


def _key_row(k: ManagedKey) -> tuple[object, ...]:
    return (
        k.id,
        k.tenant,
        k.fingerprint,
        ",".join(k.providers),
        k.created_at,
        k.expires_at,
        k.revoked_at,
    )


class SqliteStore:
    def __init__(self, path: Path, *, first_id: int = 100_000, synchronous: str = "NORMAL"):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={synchronous}")
        self._db.executescript(SCHEMA)
        policy_columns = {r[1] for r in self._db.execute("PRAGMA table_info(tenant_policies)")}
        if "services" not in policy_columns:  # a file from before tenants had services
            self._db.execute(
                "ALTER TABLE tenant_policies ADD COLUMN services TEXT NOT NULL DEFAULT ''"
            )
        counted = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE name='activation_counts'"
        ).fetchone()
        if counted is None:
            self._db.executescript(f"BEGIN; {COUNTERS} COMMIT;")
        seeded = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name='activations'")
        if seeded.fetchone() is None:
            self._db.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES ('activations', ?)", (first_id - 1,)
            )
        # a purchase that was under way when the process died has an unknown outcome
        self._db.execute(
            "UPDATE purchases SET state=?, note=? WHERE state=?",
            (PurchaseState.UNKNOWN.value, "under way when the proxy stopped", "pending"),
        )
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="sqlite")
        self._recent: LRUCache[int, Activation] = LRUCache(RECENT_ACTIVATIONS)

    async def _run(self, work: Callable[[], T]) -> T:
        """In the store's thread, after every call made before it."""
        return await asyncio.get_running_loop().run_in_executor(self._worker, work)

    def _rows(self, sql: str, args: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        return self._db.execute(sql, args).fetchall()

    async def _query(self, sql: str, *args: object) -> list[sqlite3.Row]:
        return await self._run(lambda: self._rows(sql, args))

    async def _execute(self, sql: str, *args: object) -> int:
        """Rows changed."""
        return await self._run(lambda: self._db.execute(sql, args).rowcount)

    async def _insert(self, table: str, columns: tuple[str, ...], row: tuple[object, ...]) -> int:
        marks = ",".join("?" * len(columns))
        sql = f"INSERT INTO {table} ({','.join(columns)}) VALUES ({marks})"

        def insert() -> int:
            cursor = self._db.execute(sql, row)
            assert cursor.lastrowid is not None
            return cursor.lastrowid

        return await self._run(insert)

    async def _update(
        self, table: str, columns: tuple[str, ...], row: tuple[object, ...], row_id: int
    ) -> None:
        assignments = ",".join(f"{c}=?" for c in columns)
        await self._execute(f"UPDATE {table} SET {assignments} WHERE id=?", *row, row_id)

    def _remember(self, rows: list[sqlite3.Row]) -> list[Activation]:
        found = [_activation(r) for r in rows]
        for activation in found:
            # a write made while this read was under way is newer: it stays
            self._recent.setdefault(activation.id, activation)
        return found

    async def add(self, activation: Activation) -> Activation:
        stored = activation.evolve(id=await self._insert("activations", COLUMNS, _row(activation)))
        self._recent[stored.id] = stored
        return stored

    async def get(self, activation_id: int) -> Activation | None:
        known = self._recent.get(activation_id)
        if known is not None:
            return known
        rows = await self._query("SELECT * FROM activations WHERE id=?", activation_id)
        return self._remember(rows)[0] if rows else None

    async def put(self, activation: Activation) -> None:
        self._recent[activation.id] = activation  # the newest intent, for reads under way
        try:
            await self._update("activations", COLUMNS, _row(activation), activation.id)
        except BaseException:
            self._recent.pop(activation.id, None)  # not known to be on disk: read it again
            raise

    async def open_for(self, owner: str) -> list[Activation]:
        marks = ",".join("?" * len(OPEN))
        rows = await self._query(
            f"SELECT * FROM activations WHERE owner=? AND status IN ({marks}) ORDER BY id",
            owner,
            *OPEN,
        )
        return self._fresh(rows)

    def _fresh(self, rows: list[sqlite3.Row]) -> list[Activation]:
        """Rows as activations, the in-memory one where it is newer than the read."""
        read = self._remember(rows)
        return [self._recent.get(a.id, a) for a in read]

    async def by_upstream(self, provider: str, upstream_id: int) -> Activation | None:
        rows = await self._query(
            "SELECT * FROM activations WHERE provider=? AND upstream_id=? ORDER BY id DESC LIMIT 1",
            provider,
            upstream_id,
        )
        return self._fresh(rows)[0] if rows else None

    async def counts(self) -> dict[str, int]:
        rows = await self._query("SELECT status, n FROM activation_counts WHERE n > 0")
        return {status: n for status, n in rows}

    async def history(
        self, owner: str, limit: int, offset: int, newest_first: bool
    ) -> tuple[list[Activation], int]:
        direction = "DESC" if newest_first else "ASC"

        def read() -> tuple[list[sqlite3.Row], int]:
            rows = self._rows(
                f"SELECT * FROM activations WHERE owner=? ORDER BY id {direction} LIMIT ? OFFSET ?",
                (owner, limit, offset),
            )
            total = self._rows("SELECT n FROM owner_totals WHERE owner=?", (owner,))
            return rows, int(total[0][0]) if total else 0

        rows, total = await self._run(read)
        return self._fresh(rows), total

    async def last_on_number(self, owner: str, number: str, service: str) -> Activation | None:
        rows = await self._query(
            "SELECT * FROM activations WHERE owner=? AND number=? AND service=? "
            "ORDER BY id DESC LIMIT 1",
            owner,
            number,
            service,
        )
        return self._fresh(rows)[0] if rows else None

    async def claim_order_ref(self, owner: str, ref: str) -> bool:
        try:
            await self._execute("INSERT INTO order_refs (owner, ref) VALUES (?, ?)", owner, ref)
        except sqlite3.IntegrityError:
            return False
        return True

    async def release_order_ref(self, owner: str, ref: str) -> None:
        await self._execute("DELETE FROM order_refs WHERE owner=? AND ref=?", owner, ref)

    async def max_prices(self, owner: str) -> dict[str, Decimal]:
        rows = await self._query("SELECT service, price FROM max_prices WHERE owner=?", owner)
        return {service: Decimal(price) for service, price in rows}

    async def set_max_price(self, owner: str, service: str, price: Decimal) -> None:
        await self._execute(
            "INSERT OR REPLACE INTO max_prices (owner, service, price) VALUES (?, ?, ?)",
            owner,
            service,
            str(price),
        )

    async def delete_max_price(self, owner: str, service: str) -> bool:
        changed = await self._execute(
            "DELETE FROM max_prices WHERE owner=? AND service=?", owner, service
        )
        return changed > 0

    async def journal_add(self, purchase: Purchase) -> Purchase:
        row = _purchase_row(purchase)
        return purchase.evolve(id=await self._insert("purchases", PURCHASE_COLUMNS, row))

    async def journal_put(self, purchase: Purchase) -> None:
        await self._update("purchases", PURCHASE_COLUMNS, _purchase_row(purchase), purchase.id)

    async def journal_get(self, purchase_id: int) -> Purchase | None:
        rows = await self._query("SELECT * FROM purchases WHERE id=?", purchase_id)
        return _purchase(rows[0]) if rows else None

    async def journal_list(
        self, state: PurchaseState | None = None, owner: str | None = None, limit: int = 100
    ) -> list[Purchase]:
        where, args = [], []
        if state is not None:
            where.append("state=?")
            args.append(state.value)
        if owner is not None:
            where.append("owner=?")
            args.append(owner)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = await self._query(
            f"SELECT * FROM purchases {clause} ORDER BY id DESC LIMIT ?", *args, limit
        )
        return [_purchase(r) for r in rows]

    async def journal_counts(self) -> dict[str, int]:
        rows = await self._query("SELECT state, n FROM purchase_counts WHERE n > 0")
        return {state: n for state, n in rows}

    async def key_add(self, key: ManagedKey) -> None:
        await self._execute("INSERT INTO managed_keys VALUES (?, ?, ?, ?, ?, ?, ?)", *_key_row(key))

    async def key_put(self, key: ManagedKey) -> None:
        await self._execute(
            "UPDATE managed_keys SET tenant=?, fingerprint=?, providers=?, created_at=?, "
            "expires_at=?, revoked_at=? WHERE id=?",
            *_key_row(key)[1:],
            key.id,
        )

    async def keys(self) -> list[ManagedKey]:
        rows = await self._query("SELECT * FROM managed_keys ORDER BY created_at, id")
        return [
            ManagedKey(
                r["id"],
                r["tenant"],
                r["fingerprint"],
                tuple(p for p in r["providers"].split(",") if p),
                r["created_at"],
                r["expires_at"],
                r["revoked_at"],
            )
            for r in rows
        ]

    async def policy_put(self, policy: TenantPolicy) -> None:
        await self._execute(
            "INSERT OR REPLACE INTO tenant_policies (tenant, max_active, services) "
            "VALUES (?, ?, ?)",
            policy.tenant,
            policy.max_active,
            ",".join(policy.services),
        )

    async def policies(self) -> dict[str, TenantPolicy]:
        rows = await self._query("SELECT tenant, max_active, services FROM tenant_policies")
        return {
            t: TenantPolicy(t, n, tuple(s for s in services.split(",") if s))
            for t, n, services in rows
        }

    async def max_upstream_id(self, provider: str) -> int:
        rows = await self._query(
            "SELECT MAX(upstream_id) FROM activations WHERE provider=?", provider
        )
        return int(rows[0][0] or 0)

    async def close(self) -> None:
        await self._run(self._db.close)
        self._worker.shutdown(wait=True)

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
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

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
from proxy.local.recent import Recent
from proxy.store.policies import policy_document, policy_from
from proxy.store.rows import (
    COLUMNS,
    LEDGER_COLUMNS,
    LONG_COLUMNS,
    LONG_FIRST_ID,
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
    checked_at REAL NOT NULL,
    carrier TEXT,
    country TEXT
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
CREATE TABLE IF NOT EXISTS ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL,
    reason TEXT NOT NULL,
    micros INTEGER NOT NULL,
    at REAL NOT NULL,
    key_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    activation_id INTEGER,
    purchase_id INTEGER,
    balance_after TEXT,
    note TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_tenant_at ON ledger (tenant, at);
CREATE INDEX IF NOT EXISTS ledger_at ON ledger (at);
CREATE INDEX IF NOT EXISTS ledger_purchase ON ledger (purchase_id);
CREATE UNIQUE INDEX IF NOT EXISTS ledger_once ON ledger (activation_id, reason)
    WHERE activation_id IS NOT NULL AND reason IN ('charge', 'refund');
CREATE TABLE IF NOT EXISTS budget_holds (
    purchase_id INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL,
    micros INTEGER NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS budget_holds_tenant ON budget_holds (tenant, at);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL,
    url TEXT NOT NULL,
    activation_id INTEGER NOT NULL,
    code TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL,
    next_at REAL NOT NULL,
    state TEXT NOT NULL,
    last_error TEXT NOT NULL,
    UNIQUE (activation_id, code)
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_at);
CREATE INDEX IF NOT EXISTS outbox_tenant ON outbox (tenant, state, id);
CREATE TABLE IF NOT EXISTS long_rentals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider TEXT NOT NULL,
    upstream_id INTEGER NOT NULL,
    owner TEXT NOT NULL,
    number TEXT NOT NULL,
    service TEXT,
    period TEXT NOT NULL,
    cost TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at REAL NOT NULL,
    end_time REAL NOT NULL,
    auto_renew INTEGER NOT NULL,
    country TEXT NOT NULL,
    messages TEXT NOT NULL,
    checked_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS long_rentals_owner ON long_rentals (owner, id);
CREATE INDEX IF NOT EXISTS long_rentals_upstream ON long_rentals (provider, upstream_id, id);
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
        if "document" not in policy_columns:  # a file from before policies had budgets
            self._db.execute("ALTER TABLE tenant_policies ADD COLUMN document TEXT")
        activation_columns = {r[1] for r in self._db.execute("PRAGMA table_info(activations)")}
        if "carrier" not in activation_columns:  # a file from before carriers were kept
            self._db.execute("ALTER TABLE activations ADD COLUMN carrier TEXT")
        if "country" not in activation_columns:  # a file from before countries were kept
            self._db.execute("ALTER TABLE activations ADD COLUMN country TEXT")
        counted = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE name='activation_counts'"
        ).fetchone()
        if counted is None:
            self._db.executescript(f"BEGIN; {COUNTERS} COMMIT;")
        long_seeded = self._db.execute(
            "SELECT seq FROM sqlite_sequence WHERE name='long_rentals'"
        ).fetchone()
        if long_seeded is None:
            self._db.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES ('long_rentals', ?)",
                (LONG_FIRST_ID - 1,),
            )
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
        self._recent: Recent[int, Activation] = Recent(RECENT_ACTIVATIONS)

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
        found = [activation_from(r) for r in rows]
        for activation in found:
            # a write made while this read was under way is newer: it stays
            self._recent.setdefault(activation.id, activation)
        return found

    async def add(self, activation: Activation) -> Activation:
        stored = activation.evolve(
            id=await self._insert("activations", COLUMNS, activation_row(activation))
        )
        self._recent[stored.id] = stored
        return stored

    def peek(self, activation_id: int) -> Activation | None:
        """The row as this process last wrote or read it (the file is this process's
        alone), or None when only the file has it."""
        return self._recent.get(activation_id)

    async def get(self, activation_id: int) -> Activation | None:
        known = self._recent.get(activation_id)
        if known is not None:
            return known
        rows = await self._query("SELECT * FROM activations WHERE id=?", activation_id)
        return self._remember(rows)[0] if rows else None

    async def put(self, activation: Activation) -> None:
        self._recent[activation.id] = activation  # the newest intent, for reads under way
        try:
            await self._update("activations", COLUMNS, activation_row(activation), activation.id)
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

    async def open_ended(
        self, owners: Sequence[str], before: float, limit: int
    ) -> list[Activation]:
        if not owners:
            return []
        marks, owner_marks = ",".join("?" * len(OPEN)), ",".join("?" * len(owners))
        rows = await self._query(
            f"SELECT * FROM activations WHERE owner IN ({owner_marks}) AND status IN ({marks}) "
            "AND end_time<=? ORDER BY end_time LIMIT ?",
            *owners,
            *OPEN,
            before,
            limit,
        )
        return [a for a in self._fresh(rows) if a.status.is_open and a.end_time <= before]

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
        row = purchase_row(purchase)
        return purchase.evolve(id=await self._insert("purchases", PURCHASE_COLUMNS, row))

    async def journal_put(self, purchase: Purchase) -> None:
        await self._update("purchases", PURCHASE_COLUMNS, purchase_row(purchase), purchase.id)

    async def journal_get(self, purchase_id: int) -> Purchase | None:
        rows = await self._query("SELECT * FROM purchases WHERE id=?", purchase_id)
        return purchase_from(rows[0]) if rows else None

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
        return [purchase_from(r) for r in rows]

    async def journal_counts(self) -> dict[str, int]:
        rows = await self._query("SELECT state, n FROM purchase_counts WHERE n > 0")
        return {state: n for state, n in rows}

    async def key_add(self, key: ManagedKey) -> None:
        await self._execute("INSERT INTO managed_keys VALUES (?, ?, ?, ?, ?, ?, ?)", *key_row(key))

    async def key_put(self, key: ManagedKey) -> None:
        await self._execute(
            "UPDATE managed_keys SET tenant=?, fingerprint=?, providers=?, created_at=?, "
            "expires_at=?, revoked_at=? WHERE id=?",
            *key_row(key)[1:],
            key.id,
        )

    async def keys(self) -> list[ManagedKey]:
        rows = await self._query("SELECT * FROM managed_keys ORDER BY created_at, id")
        return [key_from(r) for r in rows]

    async def policy_put(self, policy: TenantPolicy) -> None:
        await self._execute(
            "INSERT OR REPLACE INTO tenant_policies (tenant, max_active, services, document) "
            "VALUES (?, ?, ?, ?)",
            policy.tenant,
            policy.max_active,
            ",".join(policy.services),
            policy_document(policy),
        )

    async def policies(self) -> dict[str, TenantPolicy]:
        rows = await self._query("SELECT * FROM tenant_policies")
        return {
            r["tenant"]: policy_from(r["tenant"], r["document"])
            if r["document"]
            else TenantPolicy(
                r["tenant"], r["max_active"], tuple(s for s in r["services"].split(",") if s)
            )
            for r in rows
        }

    # -- the ledger -------------------------------------------------------------------------
    def _spent(self, tenant: str, since: float) -> int:
        row = self._db.execute(
            "SELECT COALESCE(SUM(micros), 0) FROM ledger WHERE tenant=? AND at>=? "
            "AND reason IN ('charge', 'refund', 'adjust')",
            (tenant, since),
        ).fetchone()
        return int(row[0])

    def _held(self, tenant: str, lapse_before: float) -> int:
        row = self._db.execute(
            "SELECT COALESCE(SUM(micros), 0) FROM budget_holds WHERE tenant=? AND at>=?",
            (tenant, lapse_before),
        ).fetchone()
        return int(row[0])

    def _append(self, entry: LedgerEntry) -> int:
        """Rows written: 0 when the activation's charge or refund is there already."""
        cursor = self._db.execute(
            f"INSERT OR IGNORE INTO ledger ({','.join(LEDGER_COLUMNS)}) "
            f"VALUES ({','.join('?' * len(LEDGER_COLUMNS))})",
            ledger_row(entry),
        )
        return cursor.rowcount

    async def ledger_hold(
        self, entry: LedgerEntry, limits: Sequence[tuple[float, Decimal]], lapse_before: float
    ) -> bool:
        wanted = micros(entry.amount)

        def hold() -> bool:
            # IMMEDIATE: another process on the same file waits, so two holds never both fit
            self._db.execute("BEGIN IMMEDIATE")
            try:
                held = self._held(entry.tenant, lapse_before)
                for since, limit in limits:
                    if self._spent(entry.tenant, since) + held + wanted > micros(limit):
                        self._db.execute("ROLLBACK")
                        return False
                self._db.execute(
                    "INSERT INTO budget_holds VALUES (?, ?, ?, ?)",
                    (entry.purchase_id, entry.tenant, wanted, entry.at),
                )
                self._append(entry)
                self._db.execute("COMMIT")
                return True
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

        return await self._run(hold)

    async def ledger_release(self, template: LedgerEntry) -> bool:
        def release() -> bool:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                found = self._db.execute(
                    "SELECT micros FROM budget_holds WHERE purchase_id=?", (template.purchase_id,)
                ).fetchone()
                if found is None:
                    self._db.execute("COMMIT")
                    return False
                self._db.execute(
                    "DELETE FROM budget_holds WHERE purchase_id=?", (template.purchase_id,)
                )
                self._append(replace(template, amount=-from_micros(found[0])))
                self._db.execute("COMMIT")
                return True
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

        return await self._run(release)

    async def ledger_add(self, entry: LedgerEntry) -> bool:
        return bool(await self._run(lambda: self._append(entry)))

    async def ledger_hold_of(self, purchase_id: int) -> LedgerEntry | None:
        rows = await self._query(
            "SELECT * FROM ledger WHERE purchase_id=? AND reason='reserve'", purchase_id
        )
        return ledger_entry_from(rows[0]) if rows else None

    async def ledger_charge_of(self, activation_id: int) -> LedgerEntry | None:
        rows = await self._query(
            "SELECT * FROM ledger WHERE activation_id=? AND reason='charge'", activation_id
        )
        return ledger_entry_from(rows[0]) if rows else None

    async def ledger_entries(
        self, tenant: str | None = None, since: float | None = None, limit: int = 100_000
    ) -> list[LedgerEntry]:
        where = ["at>=?"]
        args: list[object] = [since if since is not None else float("-inf")]
        if tenant is not None:
            where.append("tenant=?")
            args.append(tenant)
        rows = await self._query(
            f"SELECT * FROM ledger WHERE {' AND '.join(where)} ORDER BY id LIMIT ?", *args, limit
        )
        return [ledger_entry_from(r) for r in rows]

    async def ledger_spent(self, tenant: str, since: float) -> Decimal:
        return from_micros(await self._run(lambda: self._spent(tenant, since)))

    async def ledger_held(self, tenant: str, lapse_before: float) -> Decimal:
        return from_micros(await self._run(lambda: self._held(tenant, lapse_before)))

    # -- the webhook outbox -----------------------------------------------------------------
    async def outbox_add(self, delivery: Delivery, bound: int) -> tuple[Delivery | None, int]:
        def add() -> tuple[Delivery | None, int]:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cursor = self._db.execute(
                    f"INSERT OR IGNORE INTO outbox ({','.join(OUTBOX_COLUMNS)}) "
                    f"VALUES ({','.join('?' * len(OUTBOX_COLUMNS))})",
                    outbox_row(delivery),
                )
                if not cursor.rowcount:
                    self._db.execute("COMMIT")
                    return None, 0
                added = delivery.evolve(id=cursor.lastrowid)
                dropped = self._db.execute(
                    "UPDATE outbox SET state='failed', last_error='outbox full' WHERE id IN "
                    "(SELECT id FROM outbox WHERE tenant=? AND state='pending' "
                    "ORDER BY id DESC LIMIT -1 OFFSET ?)",
                    (delivery.tenant, bound),
                ).rowcount
                self._db.execute("COMMIT")
                return added, dropped
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

        return await self._run(add)

    async def outbox_due(self, now: float, limit: int) -> list[Delivery]:
        rows = await self._query(
            "SELECT * FROM outbox WHERE state='pending' AND next_at<=? ORDER BY next_at, id "
            "LIMIT ?",
            now,
            limit,
        )
        return [delivery_from(r) for r in rows]

    async def outbox_put(self, delivery: Delivery) -> None:
        await self._update("outbox", OUTBOX_COLUMNS, outbox_row(delivery), delivery.id)

    async def outbox_list(self, tenant: str | None = None, limit: int = 100) -> list[Delivery]:
        clause, args = ("WHERE tenant=?", [tenant]) if tenant is not None else ("", [])
        rows = await self._query(
            f"SELECT * FROM outbox {clause} ORDER BY id DESC LIMIT ?", *args, limit
        )
        return [delivery_from(r) for r in rows]

    async def outbox_counts(self) -> dict[str, int]:
        rows = await self._query("SELECT state, COUNT(*) FROM outbox GROUP BY state")
        return {state: n for state, n in rows}

    # -- long rentals -----------------------------------------------------------------------
    async def long_add(self, rental: LongRental) -> LongRental:
        return rental.evolve(id=await self._insert("long_rentals", LONG_COLUMNS, long_row(rental)))

    async def long_get(self, rental_id: int) -> LongRental | None:
        rows = await self._query("SELECT * FROM long_rentals WHERE id=?", rental_id)
        return long_from(rows[0]) if rows else None

    async def long_put(self, rental: LongRental) -> None:
        await self._update("long_rentals", LONG_COLUMNS, long_row(rental), rental.id)

    async def long_for(self, owner: str) -> list[LongRental]:
        rows = await self._query("SELECT * FROM long_rentals WHERE owner=? ORDER BY id DESC", owner)
        return [long_from(r) for r in rows]

    async def long_by_upstream(self, provider: str, upstream_id: int) -> LongRental | None:
        rows = await self._query(
            "SELECT * FROM long_rentals WHERE provider=? AND upstream_id=? ORDER BY id DESC "
            "LIMIT 1",
            provider,
            upstream_id,
        )
        return long_from(rows[0]) if rows else None

    async def long_counts(self) -> dict[str, int]:
        rows = await self._query("SELECT state, COUNT(*) FROM long_rentals GROUP BY state")
        return {str(r[0]): int(r[1]) for r in rows}

    async def max_upstream_id(self, provider: str) -> int:
        rows = await self._query(
            "SELECT MAX(upstream_id) FROM activations WHERE provider=?", provider
        )
        return int(rows[0][0] or 0)

    async def close(self) -> None:
        await self._run(self._db.close)
        self._worker.shutdown(wait=True)

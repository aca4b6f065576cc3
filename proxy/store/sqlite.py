"""The default store: one SQLite file in WAL mode.

Each write is committed before the call returns, so an activation is on disk before the
client sees its id; WAL with synchronous=NORMAL survives a killed process (the data is in
the OS) and loses at most the last commits on power loss, which FULL would also cover at
a latency cost (configurable).
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

from ..domain import Activation, ActivationStatus, Purchase, PurchaseState

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
CREATE TABLE IF NOT EXISTS max_prices (
    owner TEXT NOT NULL,
    service TEXT NOT NULL,
    price TEXT NOT NULL,
    PRIMARY KEY (owner, service)
);
"""
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


class SqliteStore:
    def __init__(self, path: Path, *, first_id: int = 100_000, synchronous: str = "NORMAL"):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={synchronous}")
        self._db.executescript(SCHEMA)
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

    def _insert(self, table: str, columns: tuple[str, ...], row: tuple[object, ...]) -> int:
        marks = ",".join("?" * len(columns))
        cursor = self._db.execute(
            f"INSERT INTO {table} ({','.join(columns)}) VALUES ({marks})", row
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def _update(
        self, table: str, columns: tuple[str, ...], row: tuple[object, ...], row_id: int
    ) -> None:
        assignments = ",".join(f"{c}=?" for c in columns)
        self._db.execute(f"UPDATE {table} SET {assignments} WHERE id=?", (*row, row_id))

    async def add(self, activation: Activation) -> Activation:
        return activation.evolve(id=self._insert("activations", COLUMNS, _row(activation)))

    async def get(self, activation_id: int) -> Activation | None:
        row = self._db.execute("SELECT * FROM activations WHERE id=?", (activation_id,)).fetchone()
        return _activation(row) if row else None

    async def put(self, activation: Activation) -> None:
        self._update("activations", COLUMNS, _row(activation), activation.id)

    async def open_for(self, owner: str) -> list[Activation]:
        marks = ",".join("?" * len(OPEN))
        rows = self._db.execute(
            f"SELECT * FROM activations WHERE owner=? AND status IN ({marks}) ORDER BY id",
            (owner, *OPEN),
        ).fetchall()
        return [_activation(r) for r in rows]

    async def by_upstream(self, provider: str, upstream_id: int) -> Activation | None:
        row = self._db.execute(
            "SELECT * FROM activations WHERE provider=? AND upstream_id=? ORDER BY id DESC LIMIT 1",
            (provider, upstream_id),
        ).fetchone()
        return _activation(row) if row else None

    async def counts(self) -> dict[str, int]:
        rows = self._db.execute("SELECT status, COUNT(*) FROM activations GROUP BY status")
        return {status: count for status, count in rows.fetchall()}

    async def history(
        self, owner: str, limit: int, offset: int, newest_first: bool
    ) -> tuple[list[Activation], int]:
        direction = "DESC" if newest_first else "ASC"
        rows = self._db.execute(
            f"SELECT * FROM activations WHERE owner=? ORDER BY id {direction} LIMIT ? OFFSET ?",
            (owner, limit, offset),
        ).fetchall()
        (total,) = self._db.execute(
            "SELECT COUNT(*) FROM activations WHERE owner=?", (owner,)
        ).fetchone()
        return [_activation(r) for r in rows], int(total)

    async def last_on_number(self, owner: str, number: str, service: str) -> Activation | None:
        row = self._db.execute(
            "SELECT * FROM activations WHERE owner=? AND number=? AND service=? "
            "ORDER BY id DESC LIMIT 1",
            (owner, number, service),
        ).fetchone()
        return _activation(row) if row else None

    async def claim_order_ref(self, owner: str, ref: str) -> bool:
        try:
            self._db.execute("INSERT INTO order_refs (owner, ref) VALUES (?, ?)", (owner, ref))
        except sqlite3.IntegrityError:
            return False
        return True

    async def release_order_ref(self, owner: str, ref: str) -> None:
        self._db.execute("DELETE FROM order_refs WHERE owner=? AND ref=?", (owner, ref))

    async def max_prices(self, owner: str) -> dict[str, Decimal]:
        rows = self._db.execute(
            "SELECT service, price FROM max_prices WHERE owner=?", (owner,)
        ).fetchall()
        return {service: Decimal(price) for service, price in rows}

    async def set_max_price(self, owner: str, service: str, price: Decimal) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO max_prices (owner, service, price) VALUES (?, ?, ?)",
            (owner, service, str(price)),
        )

    async def delete_max_price(self, owner: str, service: str) -> bool:
        cursor = self._db.execute(
            "DELETE FROM max_prices WHERE owner=? AND service=?", (owner, service)
        )
        return cursor.rowcount > 0

    async def journal_add(self, purchase: Purchase) -> Purchase:
        row = _purchase_row(purchase)
        return purchase.evolve(id=self._insert("purchases", PURCHASE_COLUMNS, row))

    async def journal_put(self, purchase: Purchase) -> None:
        self._update("purchases", PURCHASE_COLUMNS, _purchase_row(purchase), purchase.id)

    async def journal_get(self, purchase_id: int) -> Purchase | None:
        row = self._db.execute("SELECT * FROM purchases WHERE id=?", (purchase_id,)).fetchone()
        return _purchase(row) if row else None

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
        rows = self._db.execute(
            f"SELECT * FROM purchases {clause} ORDER BY id DESC LIMIT ?", (*args, limit)
        ).fetchall()
        return [_purchase(r) for r in rows]

    async def journal_counts(self) -> dict[str, int]:
        rows = self._db.execute("SELECT state, COUNT(*) FROM purchases GROUP BY state")
        return {state: count for state, count in rows.fetchall()}

    async def max_upstream_id(self, provider: str) -> int:
        (found,) = self._db.execute(
            "SELECT MAX(upstream_id) FROM activations WHERE provider=?", (provider,)
        ).fetchone()
        return int(found or 0)

    async def close(self) -> None:
        self._db.close()

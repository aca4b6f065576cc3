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

from ..domain import Activation, ActivationStatus

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
CREATE UNIQUE INDEX IF NOT EXISTS activations_upstream ON activations (provider, upstream_id);
CREATE INDEX IF NOT EXISTS activations_number ON activations (owner, number, service);
CREATE TABLE IF NOT EXISTS order_refs (
    owner TEXT NOT NULL,
    ref TEXT NOT NULL,
    PRIMARY KEY (owner, ref)
);
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

    async def add(self, activation: Activation) -> Activation:
        placeholders = ",".join("?" * len(COLUMNS))
        cursor = self._db.execute(
            f"INSERT INTO activations ({','.join(COLUMNS)}) VALUES ({placeholders})",
            _row(activation),
        )
        assert cursor.lastrowid is not None
        return activation.evolve(id=cursor.lastrowid)

    async def get(self, activation_id: int) -> Activation | None:
        row = self._db.execute("SELECT * FROM activations WHERE id=?", (activation_id,)).fetchone()
        return _activation(row) if row else None

    async def put(self, activation: Activation) -> None:
        assignments = ",".join(f"{c}=?" for c in COLUMNS)
        self._db.execute(
            f"UPDATE activations SET {assignments} WHERE id=?", (*_row(activation), activation.id)
        )

    async def open_for(self, owner: str) -> list[Activation]:
        marks = ",".join("?" * len(OPEN))
        rows = self._db.execute(
            f"SELECT * FROM activations WHERE owner=? AND status IN ({marks}) ORDER BY id",
            (owner, *OPEN),
        ).fetchall()
        return [_activation(r) for r in rows]

    async def by_upstream(self, provider: str, upstream_id: int) -> Activation | None:
        row = self._db.execute(
            "SELECT * FROM activations WHERE provider=? AND upstream_id=?",
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

    async def close(self) -> None:
        self._db.close()

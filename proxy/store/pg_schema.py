"""The PostgreSQL schema as numbered migrations, applied in order at start (and by
`smsproxy migrate`), each once, under an advisory lock so that replicas starting
together migrate one at a time. A new migration is appended; an applied one never
changes."""

from __future__ import annotations

import asyncpg
from asyncpg.pool import PoolConnectionProxy

MIGRATION_LOCK = 0x736D7370  # "smsp": the advisory lock every replica migrates under

MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (
        1,
        "activations, purchases, keys, policies, ledger, outbox",
        """
CREATE TABLE activations (
    id BIGSERIAL PRIMARY KEY,
    provider TEXT NOT NULL,
    upstream_id BIGINT NOT NULL,
    owner TEXT NOT NULL,
    number TEXT NOT NULL,
    service TEXT NOT NULL,
    cost TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    end_time DOUBLE PRECISION NOT NULL,
    code TEXT,
    retry_code TEXT,
    multiple_sms INTEGER NOT NULL,
    upstream_viewed INTEGER NOT NULL,
    code_at DOUBLE PRECISION,
    checked_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX activations_owner_status ON activations (owner, status);
CREATE INDEX activations_by_upstream ON activations (provider, upstream_id, id);
CREATE INDEX activations_number ON activations (owner, number, service);
CREATE INDEX activations_owner_id ON activations (owner, id);
CREATE TABLE order_refs (owner TEXT NOT NULL, ref TEXT NOT NULL, PRIMARY KEY (owner, ref));
CREATE TABLE purchases (
    id BIGSERIAL PRIMARY KEY,
    owner TEXT NOT NULL,
    provider TEXT NOT NULL,
    operation TEXT NOT NULL,
    services TEXT NOT NULL,
    order_key TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    state TEXT NOT NULL,
    order_ref TEXT,
    upstream_floor BIGINT NOT NULL,
    balance_before TEXT,
    settled_at DOUBLE PRECISION,
    activation_ids TEXT NOT NULL,
    note TEXT NOT NULL,
    answered INTEGER NOT NULL
);
CREATE INDEX purchases_state ON purchases (state, id);
CREATE INDEX purchases_owner ON purchases (owner, id);
CREATE TABLE managed_keys (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    fingerprint TEXT NOT NULL UNIQUE,
    providers TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    expires_at DOUBLE PRECISION,
    revoked_at DOUBLE PRECISION
);
CREATE TABLE tenant_policies (tenant TEXT PRIMARY KEY, document TEXT NOT NULL);
CREATE TABLE max_prices (
    owner TEXT NOT NULL,
    service TEXT NOT NULL,
    price TEXT NOT NULL,
    PRIMARY KEY (owner, service)
);
CREATE TABLE ledger (
    id BIGSERIAL PRIMARY KEY,
    tenant TEXT NOT NULL,
    reason TEXT NOT NULL,
    micros BIGINT NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    key_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    activation_id BIGINT,
    purchase_id BIGINT,
    balance_after TEXT,
    note TEXT NOT NULL
);
CREATE INDEX ledger_tenant_at ON ledger (tenant, at);
CREATE INDEX ledger_purchase ON ledger (purchase_id);
CREATE UNIQUE INDEX ledger_once ON ledger (activation_id, reason)
    WHERE activation_id IS NOT NULL AND reason IN ('charge', 'refund');
CREATE TABLE budget_holds (
    purchase_id BIGINT PRIMARY KEY,
    tenant TEXT NOT NULL,
    micros BIGINT NOT NULL,
    at DOUBLE PRECISION NOT NULL
);
CREATE INDEX budget_holds_tenant ON budget_holds (tenant, at);
CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    tenant TEXT NOT NULL,
    url TEXT NOT NULL,
    activation_id BIGINT NOT NULL,
    code TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    attempts INTEGER NOT NULL,
    next_at DOUBLE PRECISION NOT NULL,
    state TEXT NOT NULL,
    last_error TEXT NOT NULL,
    UNIQUE (activation_id, code)
);
CREATE INDEX outbox_due ON outbox (state, next_at);
CREATE INDEX outbox_tenant ON outbox (tenant, state, id);
""",
    ),
    (
        2,
        "the carrier an activation was bought on",
        "ALTER TABLE activations ADD COLUMN carrier TEXT",
    ),
    (3, "the country of an activation's number", "ALTER TABLE activations ADD COLUMN country TEXT"),
    (
        4,
        "long rentals",
        """
CREATE TABLE long_rentals (
    id BIGSERIAL PRIMARY KEY,
    provider TEXT NOT NULL,
    upstream_id BIGINT NOT NULL,
    owner TEXT NOT NULL,
    number TEXT NOT NULL,
    service TEXT,
    period TEXT NOT NULL,
    cost TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    end_time DOUBLE PRECISION NOT NULL,
    auto_renew INTEGER NOT NULL,
    country TEXT NOT NULL,
    messages TEXT NOT NULL,
    checked_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX long_rentals_owner ON long_rentals (owner, id);
CREATE INDEX long_rentals_upstream ON long_rentals (provider, upstream_id, id);
ALTER SEQUENCE long_rentals_id_seq RESTART WITH 5000000;
""",
    ),
    (
        5,
        "the codes an activation had before its current one",
        "ALTER TABLE activations ADD COLUMN past_codes TEXT",
    ),
    (
        6,
        "every change of an activation announced to the replicas",
        # the channel is per schema (one database may hold several fleets); the payload
        # is the id: a replica drops what it holds of it and reads it again when asked
        """
CREATE FUNCTION announce_activation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('smsproxy_activations_' || TG_TABLE_SCHEMA, OLD.id::text);
    RETURN NULL;
END $$;
CREATE TRIGGER activation_changed AFTER UPDATE OR DELETE ON activations
    FOR EACH ROW EXECUTE FUNCTION announce_activation();
""",
    ),
    (
        7,
        "activations and purchases counted as they change",
        # a count per state in 16 slots (a write takes one at random): concurrent writers
        # rarely meet on one row
        """
CREATE TABLE state_counts (
    tbl TEXT NOT NULL, state TEXT NOT NULL, slot INTEGER NOT NULL, n BIGINT NOT NULL,
    PRIMARY KEY (tbl, state, slot)
);
INSERT INTO state_counts SELECT 'activations', status, 0, COUNT(*) FROM activations
    GROUP BY status;
INSERT INTO state_counts SELECT 'purchases', state, 0, COUNT(*) FROM purchases GROUP BY state;
CREATE FUNCTION count_state() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bucket INTEGER;
    was TEXT;
    now_ TEXT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        was := to_jsonb(OLD) ->> TG_ARGV[0];
    ELSIF TG_OP = 'UPDATE' THEN
        was := to_jsonb(OLD) ->> TG_ARGV[0];
        now_ := to_jsonb(NEW) ->> TG_ARGV[0];
        IF was = now_ THEN RETURN NULL; END IF;
    ELSE
        now_ := to_jsonb(NEW) ->> TG_ARGV[0];
    END IF;
    bucket := floor(random() * 16)::INTEGER;
    IF was IS NOT NULL THEN
        INSERT INTO state_counts VALUES (TG_TABLE_NAME, was, bucket, -1)
            ON CONFLICT (tbl, state, slot) DO UPDATE SET n = state_counts.n - 1;
    END IF;
    IF now_ IS NOT NULL THEN
        INSERT INTO state_counts VALUES (TG_TABLE_NAME, now_, bucket, 1)
            ON CONFLICT (tbl, state, slot) DO UPDATE SET n = state_counts.n + 1;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER activation_counted AFTER INSERT OR UPDATE OF status OR DELETE ON activations
    FOR EACH ROW EXECUTE FUNCTION count_state('status');
CREATE TRIGGER purchase_counted AFTER INSERT OR UPDATE OF state OR DELETE ON purchases
    FOR EACH ROW EXECUTE FUNCTION count_state('state');
""",
    ),
    (
        8,
        "every change of issued keys and tenants' policies announced to the replicas",
        """
CREATE FUNCTION announce_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('smsproxy_keys_' || TG_TABLE_SCHEMA, TG_TABLE_NAME);
    RETURN NULL;
END $$;
CREATE TRIGGER keys_changed AFTER INSERT OR UPDATE OR DELETE ON managed_keys
    FOR EACH STATEMENT EXECUTE FUNCTION announce_keys();
CREATE TRIGGER policies_changed AFTER INSERT OR UPDATE OR DELETE ON tenant_policies
    FOR EACH STATEMENT EXECUTE FUNCTION announce_keys();
""",
    ),
)


async def migrate(
    conn: asyncpg.Connection | PoolConnectionProxy[asyncpg.Record], first_id: int = 100_000
) -> list[int]:
    """Apply what is missing; the versions applied now."""
    applied: list[int] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
            "name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        for version, name, sql in MIGRATIONS:
            if version in done:
                continue
            await conn.execute(sql)
            if version == 1:
                await conn.execute(f"ALTER SEQUENCE activations_id_seq RESTART WITH {first_id}")
            await conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", version, name
            )
            applied.append(version)
    return applied

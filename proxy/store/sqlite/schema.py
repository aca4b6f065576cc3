"""The SQLite file's tables, and the counters its triggers keep."""

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
    country TEXT,
    past_codes TEXT
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

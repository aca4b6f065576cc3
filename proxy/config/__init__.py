"""One typed settings object: defaults, then a TOML file, then SMSPROXY_* variables."""

from __future__ import annotations

import ipaddress
import os
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from proxy.config.routing import (
    STRATEGIES,
    ConfigError,
    ProviderConfig,
    TenantConfig,
    parse_providers,
    parse_tenants,
    unknown_names,
)

ENV_PREFIX = "SMSPROXY_"
TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    upstream_url: str | None = None  # None: run an embedded sandbox and use it
    sandbox_host: str = "127.0.0.1"
    sandbox_port: int = 9300
    data_dir: Path = Path("var")
    store: str = "sqlite"  # sqlite | memory | postgres
    postgres_url: str | None = field(default=None, repr=False)  # store = "postgres"
    postgres_schema: str | None = None  # a schema of its own in that database (tests)
    coordination: str = "local"  # local | redis: who paces and caches, this process or all
    redis_url: str | None = field(default=None, repr=False)  # coordination = "redis"
    redis_prefix: str = "smsproxy"  # every Redis key starts with it (one fleet per prefix)
    replicas: int = 1  # how many replicas serve together (declared: checked at start)
    sqlite_synchronous: str = "NORMAL"
    default_dialect: str = "sms-activate"  # what /stubs/handler_api.php speaks (checked by
    # the dialects' registry, where the composition root mounts them)
    poll_interval_seconds: float = 2.0
    reconcile_interval_seconds: float = 30.0  # polling once webhooks deliver the codes
    cancel_lock_seconds: float | None = None  # None: each vendor's own rule (VendorRules)
    offers_ttl_seconds: float = 60.0
    offers_stale_seconds: float = 30.0
    combination_ttl_seconds: float = 300.0
    out_of_stock_ttl_seconds: float = 0.0
    pacing_enabled: bool = True
    pacing_max_wait_seconds: float = 20.0
    pacing_margin: float = 0.04
    default_rate_per_second: float = 5.0
    webhook_secret: str | None = None  # enables POST /webhooks/{provider}/{account token}
    webhook_allow: str | None = None  # comma-separated CIDRs; empty: any source
    admin_token: str | None = None
    guest_key: str | None = None  # vendor key for 5sim guest reads sent without a token
    metrics_enabled: bool = True
    managed_keys: bool = False  # client keys issued by `smsproxy keys create` (needs providers)
    log_json: bool = False  # enables /admin/* with the X-Admin-Token header
    purchase_timeout_seconds: float = 15.0
    read_timeout_seconds: float = 5.0
    service_codes: Mapping[str, str] = field(default_factory=dict)
    secret: str | None = None  # keys' fingerprint secret; generated into data_dir if unset
    routing: str = "priority"  # priority | cheapest | weighted | value (with [[providers]])
    # cheapest and value compare prices in this currency: a provider's price times its
    # currency's rate (units of routing_currency per unit); no rate: ranked last
    routing_currency: str = "USD"
    currency_rates: Mapping[str, float] = field(default_factory=dict)
    value_explore: float = 0.1  # value: the share of purchases that try another provider
    routing_seed: int | None = None  # fixes weighted choices (tests, reproducible demos)
    # keys passed through to the one upstream (no [[providers]]): off, none is, and no
    # client key reaches the vendor; a key the vendor refused is refused for this long
    passthrough_keys: bool = True
    refused_key_ttl_seconds: float = 300.0
    unknown_key_checks_per_second: float = 2.0  # keys never seen, checked at the vendor
    unknown_key_check_wait_seconds: float = 2.0
    # requests with a key the proxy cannot name yet (not issued, not configured, not yet
    # accepted by the vendor), per source address: a token bucket (0: no limit)
    client_rate_per_second: float = 5.0
    client_burst: int = 20
    client_limited_delay_seconds: float = 1.0  # its "try again" comes this much later
    # proxies (addresses or networks) whose X-Forwarded-For names the source
    trusted_proxies: tuple[str, ...] = ()
    # how long a provider account cools down, by cause (docs/routing.md)
    maintenance_cooldown_seconds: float = 60.0
    transient_cooldown_seconds: float = 30.0  # 5xx or no answer, most recent calls failed
    bad_key_cooldown_seconds: float = 3600.0
    no_funds_recheck_seconds: float = 60.0  # no funds: skipped until a read shows more
    providers: tuple[ProviderConfig, ...] = ()  # [[providers]]: none means one Getatext
    tenants: tuple[TenantConfig, ...] = ()  # [[tenants]]: required with providers

    @property
    def uses_embedded_sandbox(self) -> bool:
        return not self.upstream_url and not self.providers


def _coerce(name: str, raw: Any) -> Any:
    kinds = {f.name: f.type for f in fields(Settings)}
    kind = str(kinds[name])
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    if kind == "int | None":
        return None if raw in ("", None) else int(raw)
    if kind == "float | None":
        return None if raw in ("", None) else float(raw)
    if kind == "bool":
        return raw if isinstance(raw, bool) else str(raw).strip().lower() in TRUE
    if kind == "Path":
        return Path(raw)
    if kind.startswith("tuple[str"):
        items = raw.split(",") if isinstance(raw, str) else list(raw)
        return tuple(str(item).strip() for item in items if str(item).strip())
    if "Mapping" in kind:
        if isinstance(raw, str):
            return dict(item.split("=", 1) for item in raw.split(",") if "=" in item)
        return dict(raw)
    return None if raw in ("", None) else str(raw)


def load(
    path: Path | None = None, env: Mapping[str, str] | None = None, **overrides: Any
) -> Settings:
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    known = {f.name for f in fields(Settings)}
    if path is not None:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
        if "providers" in raw:
            values["providers"] = parse_providers(raw.pop("providers"))
            values["tenants"] = parse_tenants(
                raw.pop("tenants", None), values["providers"], managed=bool(raw.get("managed_keys"))
            )
        elif "tenants" in raw:
            raise ConfigError("[[tenants]] map client keys to [[providers]]: add providers")
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"unknown settings: {unknown_names(unknown, known)}")
        values.update({k: _coerce(k, v) for k, v in raw.items()})
    for name in known - {"providers", "tenants"}:  # tables: from the file only
        if ENV_PREFIX + name.upper() in env:
            values[name] = _coerce(name, env[ENV_PREFIX + name.upper()])
    unknown = set(overrides) - known
    if unknown:
        raise ValueError(f"unknown settings: {unknown_names(unknown, known)}")
    values.update(
        {
            k: v if k in ("providers", "tenants") else _coerce(k, v)
            for k, v in overrides.items()
            if v is not None
        }
    )
    settings = replace(Settings(), **values)
    if settings.routing not in STRATEGIES:
        raise ValueError(f"routing must be one of {', '.join(STRATEGIES)}")
    check_currencies(settings)
    if settings.store not in ("sqlite", "memory", "postgres"):
        raise ValueError("store must be sqlite, memory or postgres")
    if settings.coordination not in ("local", "redis"):
        raise ValueError("coordination must be local or redis")
    if settings.client_rate_per_second < 0 or settings.client_burst < 1:
        raise ValueError("client_rate_per_second must be 0 or more, client_burst 1 or more")
    if not 0 <= settings.client_limited_delay_seconds <= 10:
        raise ValueError("client_limited_delay_seconds must be between 0 and 10")
    for proxy in settings.trusted_proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ValueError(
                f"trusted_proxies: {proxy!r} is not an address or a network"
            ) from None
    check_fleet(settings)
    return settings


def check_currencies(s: Settings) -> None:
    for code, rate in {s.routing_currency: 1.0, **s.currency_rates}.items():
        if len(code) != 3 or not code.isalpha() or code != code.upper():
            raise ValueError(f'currency_rates: {code!r} is not an ISO 4217 code such as "RUB"')
        try:
            value = float(rate)
        except (TypeError, ValueError):
            value = 0.0
        if not 0 < value < 1e6:
            raise ValueError(f"currency_rates.{code} must be a positive number")
    if not 0 <= s.value_explore <= 0.5:
        raise ValueError("value_explore must be between 0 and 0.5")


def check_fleet(s: Settings) -> None:
    """A half-configured fleet is refused at start, with what is missing."""
    if s.store == "postgres" and not s.postgres_url:
        raise ValueError('store = "postgres" needs postgres_url (or SMSPROXY_POSTGRES_URL)')
    if s.coordination == "redis" and not s.redis_url:
        raise ValueError('coordination = "redis" needs redis_url (or SMSPROXY_REDIS_URL)')
    if s.replicas < 1:
        raise ValueError("replicas must be 1 or more")
    if s.replicas > 1:
        if s.store != "postgres":
            raise ValueError(
                f'replicas = {s.replicas} needs store = "postgres": each replica\'s '
                f"{s.store} store would hold only its own activations"
            )
        if s.coordination != "redis":
            raise ValueError(
                f'replicas = {s.replicas} needs coordination = "redis": each replica would '
                f"pace alone, and together they would send the vendor {s.replicas} times "
                "its limit"
            )
        if not s.secret:
            raise ValueError(
                f"replicas = {s.replicas} needs the same secret in each: a generated one "
                "differs per replica, and so would every key's fingerprint"
            )


def fingerprint_secret(settings: Settings) -> bytes:
    """The configured secret, or one generated once and kept beside the data."""
    if settings.secret:
        return settings.secret.encode()
    path = settings.data_dir / "secret"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip().encode()

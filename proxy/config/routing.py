"""`[[providers]]` and `[[tenants]]`: the upstream accounts and who may use them.

    [[providers]]
    name = "cheap"                    # how metrics, logs and the store name it
    kind = "getatext"                 # a vendor kind: getatext | handler-api | fivesim |
    #                                 # smspool | textverified | onlinesim
    # flavour = "sms-activate"        # handler-api only: sms-activate, smshub, herosms,
    #                                 # daisysms, grizzly, smsbower, getatext-legacy
    # username_env = "TV_USER"        # textverified only: the user name it signs in with
    # currency = "RUB"                # what its prices and balance are in (default USD)
    base_url = "https://getatext.com"
    key_env = "CHEAP_KEY"             # or key_file = "/run/secrets/cheap"; never inline
    priority = 1                      # lower first (default: the order in the file)

    [[tenants]]
    key_env = "TOOL_KEY"              # the client key; or key_file, or key_fingerprint
    providers = ["cheap", "backup"]   # default: every provider

Keys are read at start and kept in memory only; a tenant's client key is known by its
keyed fingerprint (`smsproxy fingerprint` prints it for a key).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from proxy.domain import Tenant, UpstreamAccount

KNOWN_PROVIDER_FIELDS = {
    "name",
    "kind",
    "base_url",
    "key_env",
    "key_file",
    "priority",
    "flavour",
    "sandbox",
    "countries",
    "weight",
    "services",
    "limits",
    "service_codes",
    "username_env",
    "currency",
}
KNOWN_TENANT_FIELDS = {"key_env", "key_file", "key_fingerprint", "providers", "routing"}
STRATEGIES = ("priority", "cheapest", "weighted", "value")
# the kinds whose vendors name services by their own codes (`service_codes`)
CODED_KINDS = ("handler-api", "fivesim", "smspool", "textverified", "onlinesim")


class ConfigError(ValueError):
    """A configuration that cannot run, with the reason in words."""


@dataclass(frozen=True)
class ProviderConfig:
    name: str
    kind: str
    base_url: str
    key_env: str | None = None
    key_file: str | None = None
    priority: int = 0
    flavour: str | None = None  # handler-api: the vendor family (its tokens and codes)
    sandbox: bool = False  # `smsproxy serve` runs an embedded sandbox at base_url (demos)
    countries: tuple[str, ...] = ()  # ISO 3166 alpha-2; empty: what the vendor kind sells
    weight: int = 1  # its share of purchases under `routing = "weighted"`
    services: tuple[str, ...] = ()  # the only services bought here; empty: any
    limits: tuple[tuple[str, float], ...] = ()  # (limit group, calls a second) overrides
    service_codes: tuple[tuple[str, str], ...] = ()  # service -> the vendor's code
    username_env: str | None = None  # textverified: the user name, from the environment
    currency: str = "USD"  # ISO 4217: what its prices and balance are in

    def options(self, env: Mapping[str, str]) -> dict[str, Any]:
        """What the vendor kind's constructor takes beyond the common arguments."""
        found: dict[str, Any] = {"flavour": self.flavour} if self.flavour else {}
        if self.service_codes:
            found["codes"] = dict(self.service_codes)
        if self.username_env:
            username = env.get(self.username_env, "").strip()
            if not username:
                raise ConfigError(f"provider {self.name}: ${self.username_env} is not set")
            found["username"] = username
        return found

    def key(self, env: Mapping[str, str]) -> str:
        return read_key(f"provider {self.name}", self.key_env, self.key_file, env)


def read_key(where: str, key_env: str | None, key_file: str | None, env: Mapping[str, str]) -> str:
    """A key from an environment variable or a file; never from the configuration."""
    if key_env:
        value = env.get(key_env, "").strip()
        if not value:
            raise ConfigError(f"{where}: ${key_env} is not set")
        return value
    assert key_file is not None
    try:
        value = Path(key_file).read_text().strip()
    except OSError as exc:
        raise ConfigError(f"{where}: key_file {key_file}: {exc.strerror}") from None
    if not value:
        raise ConfigError(f"{where}: key_file {key_file} is empty")
    return value


@dataclass(frozen=True)
class TenantConfig:
    key_env: str | None = None
    key_fingerprint: str | None = None
    providers: tuple[str, ...] = ()  # empty: every provider
    key_file: str | None = None
    routing: str | None = None  # this tenant's strategy; None: the global `routing`


def _strings(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(x, str) and x for x in raw):
        raise ConfigError(f"{where} must be a list of names")
    return tuple(raw)


def unknown_names(unknown: set[str], known: set[str]) -> str:
    """The names, each with the known one it most likely meant: `prot (did you mean
    port?)`."""
    said = []
    for name in sorted(unknown):
        near = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
        said.append(f"{name} (did you mean {near[0]}?)" if near else name)
    return ", ".join(said)


def _tables(rows: Any, what: str, known: set[str]) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """(index, where, row) of each `[[what]]` table, with unknown fields refused."""
    if not isinstance(rows, list):
        raise ConfigError(f"{what} must be [[{what}]] tables")
    for index, row in enumerate(rows):
        where = f"{what}[{index}]"
        if not isinstance(row, dict):
            raise ConfigError(f"{where} must be a table")
        unknown = set(row) - known
        if unknown:
            name = row.get("name")
            named = f"provider {name}" if what == "providers" and isinstance(name, str) else where
            raise ConfigError(f"{named}: unknown fields {unknown_names(unknown, known)}")
        yield index, where, row


def parse_providers(rows: Any) -> tuple[ProviderConfig, ...]:
    """The kinds are checked where the adapters are known (the composition root)."""
    found: list[ProviderConfig] = []
    for index, where, row in _tables(rows, "providers", KNOWN_PROVIDER_FIELDS):
        name, kind, url = row.get("name"), row.get("kind", "getatext"), row.get("base_url")
        if not isinstance(name, str) or not name.isidentifier():
            raise ConfigError(f"{where}: name must be a plain word (letters, digits, _)")
        if not isinstance(kind, str) or not kind:
            raise ConfigError(f"provider {name}: kind must be a vendor kind")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ConfigError(f"provider {name}: base_url must be an http(s) URL")
        sources = [k for k in ("key_env", "key_file") if row.get(k)]
        if len(sources) != 1:
            raise ConfigError(f"provider {name}: give exactly one of key_env, key_file")
        priority = row.get("priority", index)
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise ConfigError(f"provider {name}: priority must be an integer")
        flavour, sandbox = row.get("flavour"), row.get("sandbox", False)
        countries = tuple(
            c.lower() for c in _strings(row.get("countries", []), f"{where}.countries")
        )
        weight = row.get("weight", 1)
        if isinstance(weight, bool) or not isinstance(weight, int) or weight < 1:
            raise ConfigError(f"provider {name}: weight must be a whole number from 1")
        if any(len(c) != 2 or not c.isalpha() for c in countries):
            raise ConfigError(f'provider {name}: countries are ISO 3166 codes such as "us"')
        if not isinstance(sandbox, bool):
            raise ConfigError(f"provider {name}: sandbox must be true or false")
        if kind == "handler-api" and not isinstance(flavour, str):
            raise ConfigError(f"provider {name}: a handler-api provider needs a flavour")
        if kind != "handler-api" and flavour is not None:
            raise ConfigError(f"provider {name}: flavour is for handler-api providers only")
        username_env = row.get("username_env")
        if kind == "textverified" and not (isinstance(username_env, str) and username_env):
            raise ConfigError(
                f"provider {name}: a textverified provider needs username_env (the "
                "variable holding the user name it signs in with)"
            )
        if kind != "textverified" and username_env is not None:
            raise ConfigError(f"provider {name}: username_env is for textverified providers only")
        currency = row.get("currency", "USD")
        if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha():
            raise ConfigError(f'provider {name}: currency is an ISO 4217 code such as "USD"')
        found.append(
            ProviderConfig(
                name,
                kind,
                url,
                row.get("key_env"),
                row.get("key_file"),
                priority,
                flavour,
                sandbox,
                countries,
                weight,
                _strings(row.get("services", []), f"{where}.services"),
                _limits(row.get("limits", {}), name),
                _codes(row.get("service_codes", {}), name, kind),
                username_env,
                currency.upper(),
            )
        )
    names = [p.name for p in found]
    if len(set(names)) != len(names):
        raise ConfigError("provider names must be unique")
    return tuple(found)


def _codes(raw: Any, name: str, kind: str) -> tuple[tuple[str, str], ...]:
    """`service_codes = { whatsapp = "wa" }`: the vendor's codes for the domain's services."""
    if not isinstance(raw, dict) or not all(isinstance(v, str) and v for v in raw.values()):
        raise ConfigError(f"provider {name}: service_codes must be a table of service = code")
    if raw and kind not in CODED_KINDS:
        kinds = ", ".join(CODED_KINDS)
        raise ConfigError(f"provider {name}: service_codes are for {kinds} providers only")
    return tuple((str(k), str(v)) for k, v in raw.items())


def _limits(raw: Any, name: str) -> tuple[tuple[str, float], ...]:
    """`limits = { orders = 2, reads = 5 }`: a vendor's limit groups, in calls a second."""
    if not isinstance(raw, dict):
        raise ConfigError(f"provider {name}: limits must be a table of group = calls a second")
    for group, rate in raw.items():
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 < rate <= 1000:
            raise ConfigError(f"provider {name}: limits.{group} must be calls a second (0-1000]")
    return tuple((str(group), float(rate)) for group, rate in raw.items())


def parse_tenants(
    rows: Any, providers: Sequence[ProviderConfig], *, managed: bool = False
) -> tuple[TenantConfig, ...]:
    """Static tenants; none is fine when the proxy issues keys itself (`managed_keys`)."""
    if rows is None and managed:
        return ()
    if not isinstance(rows, list) or not rows:
        raise ConfigError(
            "with [[providers]], client keys are not passed through: add [[tenants]] "
            "or managed_keys = true"
        )
    names = {p.name for p in providers}
    found: list[TenantConfig] = []
    for _, where, row in _tables(rows, "tenants", KNOWN_TENANT_FIELDS):
        if len([k for k in ("key_env", "key_file", "key_fingerprint") if row.get(k)]) != 1:
            raise ConfigError(f"{where}: give exactly one of key_env, key_file, key_fingerprint")
        allowed = _strings(row.get("providers", []), f"{where}.providers")
        missing = set(allowed) - names
        if missing:
            raise ConfigError(f"{where}: no provider named {', '.join(sorted(missing))}")
        routing = row.get("routing")
        if routing is not None and routing not in STRATEGIES:
            raise ConfigError(f"{where}: routing must be one of {', '.join(STRATEGIES)}")
        found.append(
            TenantConfig(
                row.get("key_env"),
                row.get("key_fingerprint"),
                allowed,
                row.get("key_file"),
                routing,
            )
        )
    return tuple(found)


def provider_accounts(
    providers: Sequence[ProviderConfig], env: Mapping[str, str]
) -> dict[str, UpstreamAccount]:
    """Each configured provider's upstream account, by provider name."""
    return {
        p.name: UpstreamAccount(p.name, p.key(env), p.name, p.priority, p.weight) for p in providers
    }


def tenant_accounts(
    providers: Sequence[ProviderConfig],
    tenants: Sequence[TenantConfig],
    fingerprint: Callable[[str], str],
    env: Mapping[str, str],
) -> dict[str, Tenant]:
    """Client-key fingerprint -> the tenant: the accounts it may use, in priority order,
    and its own routing strategy if it has one."""
    accounts = provider_accounts(providers, env)
    mapping: dict[str, Tenant] = {}
    for index, tenant in enumerate(tenants):
        if tenant.key_fingerprint:
            owner = tenant.key_fingerprint
        else:
            key = read_key(f"tenants[{index}]", tenant.key_env, tenant.key_file, env)
            owner = fingerprint(key)
        allowed = tenant.providers or tuple(accounts)
        reachable = tuple(sorted((accounts[n] for n in allowed), key=lambda a: a.priority))
        mapping[owner] = Tenant(owner, reachable, tenant.routing)
    return mapping

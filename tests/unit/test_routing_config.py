"""Every way a [[providers]]/[[tenants]] configuration can be wrong, and its message."""

from __future__ import annotations

from typing import Any

import pytest

from proxy.config.routing import (
    ConfigError,
    ProviderConfig,
    TenantConfig,
    parse_providers,
    parse_tenants,
    tenant_accounts,
)

GOOD = {"name": "alpha", "kind": "getatext", "base_url": "https://v.example", "key_env": "K"}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ({"name": "x"}, "providers must be [[providers]] tables"),
        (["x"], "providers[0] must be a table"),
        ([{**GOOD, "color": "red"}], "provider alpha: unknown fields color"),
        ([{"kind": "getatext", "colour": "red"}], "providers[0]: unknown fields colour"),
        ([{**GOOD, "name": "a b"}], "providers[0]: name must be a plain word (letters, digits, _)"),
        ([{**GOOD, "base_url": "ftp://v"}], "provider alpha: base_url must be an http(s) URL"),
        ([{**GOOD, "key_file": "/k"}], "provider alpha: give exactly one of key_env, key_file"),
        ([{**GOOD, "key_env": None}], "provider alpha: give exactly one of key_env, key_file"),
        ([{**GOOD, "priority": "1"}], "provider alpha: priority must be an integer"),
        (
            [{**GOOD, "kind": "handler-api"}],
            "provider alpha: a handler-api provider needs a flavour",
        ),
        ([{**GOOD, "flavour": "x"}], "provider alpha: flavour is for handler-api providers only"),
        ([{**GOOD, "sandbox": "yes"}], "provider alpha: sandbox must be true or false"),
        ([GOOD, GOOD], "provider names must be unique"),
        (
            [{**GOOD, "service_codes": {"whatsapp": "wa"}}],
            "provider alpha: service_codes are for handler-api, fivesim, smspool, textverified, "
            "onlinesim providers only",
        ),
        (
            [{**GOOD, "service_codes": {"whatsapp": 1}}],
            "provider alpha: service_codes must be a table of service = code",
        ),
        ([{**GOOD, "services": "whatsapp"}], "providers[0].services must be a list of names"),
        (
            [{**GOOD, "limits": 5}],
            "provider alpha: limits must be a table of group = calls a second",
        ),
        (
            [{**GOOD, "limits": {"rent": 0}}],
            "provider alpha: limits.rent must be calls a second (0-1000]",
        ),
        (
            [{**GOOD, "kind": "textverified"}],
            "provider alpha: a textverified provider needs username_env (the variable "
            "holding the user name it signs in with)",
        ),
        (
            [{**GOOD, "username_env": "TV_USER"}],
            "provider alpha: username_env is for textverified providers only",
        ),
        (
            [{**GOOD, "currency": "dollars"}],
            'provider alpha: currency is an ISO 4217 code such as "USD"',
        ),
        (
            [{**GOOD, "curency": "RUB"}],
            "provider alpha: unknown fields curency (did you mean currency?)",
        ),
    ],
)
def test_provider_errors(rows: Any, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_providers(rows)
    assert str(raised.value) == message


NO_TENANTS = (
    "with [[providers]], client keys are not passed through: add [[tenants]] or managed_keys = true"
)
PROVIDERS = (ProviderConfig("alpha", "getatext", "https://v", key_env="K"),)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (None, NO_TENANTS),
        ([], NO_TENANTS),
        ([{"key_env": "C", "providers": ["beta"]}], "tenants[0]: no provider named beta"),
        ([{}], "tenants[0]: give exactly one of key_env, key_file, key_fingerprint"),
        ([{"key_env": "C", "providers": "alpha"}], "tenants[0].providers must be a list of names"),
        (
            [{"key_env": "C", "routing": "random"}],
            "tenants[0]: routing must be one of priority, cheapest, weighted, value",
        ),
    ],
)
def test_tenant_errors(rows: Any, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_tenants(rows, PROVIDERS)
    assert str(raised.value) == message


def test_issued_keys_need_no_static_tenants() -> None:
    assert parse_tenants(None, PROVIDERS, managed=True) == ()
    with pytest.raises(ConfigError, match="add"):
        parse_tenants([], PROVIDERS, managed=True)  # an empty table is still a mistake


def test_keys_come_from_the_environment_or_files(tmp_path: Any) -> None:
    with pytest.raises(ConfigError, match=r"provider alpha: \$K is not set"):
        tenant_accounts(PROVIDERS, (TenantConfig(key_env="C"),), str.upper, {})
    empty = tmp_path / "empty.key"
    empty.write_text("\n")
    from_file = (ProviderConfig("alpha", "getatext", "https://v", key_file=str(empty)),)
    with pytest.raises(ConfigError, match=r"key_file .* is empty"):
        tenant_accounts(from_file, (TenantConfig(key_env="C"),), str.upper, {"C": "c"})
    accounts = tenant_accounts(
        PROVIDERS, (TenantConfig(key_env="C"),), str.upper, {"K": "k", "C": "c"}
    )
    assert [(a.provider, a.key, a.id) for a in accounts["C"].accounts] == [("alpha", "k", "alpha")]


def test_weighted_order_follows_the_weights() -> None:
    import random

    from proxy.domain import UpstreamAccount
    from proxy.router import Router

    heavy, light = (
        UpstreamAccount("heavy", "k", "heavy", 1, 3),
        UpstreamAccount("light", "k", "light", 2, 1),
    )
    router = Router(lambda: 0.0, random.Random(11))
    firsts = [router.weighted([heavy, light])[0].provider for _ in range(4000)]
    share = firsts.count("heavy") / len(firsts)
    assert 0.72 < share < 0.78  # 3 of 4, by weight
    assert sorted(a.provider for a in router.weighted([heavy, light])) == ["heavy", "light"]


async def test_limit_overrides_replace_the_vendors_rates() -> None:
    from adapters.upstreams import Upstreams
    from proxy.domain import Timeouts

    upstreams = Upstreams()
    try:
        slower = upstreams.provider("getatext", "http://v", Timeouts(), limits={"rent": 1.0})
        assert (slower.limits["rent"].per_second, slower.limits["rent_specific"].per_second) == (
            1.0,
            1.0,
        )  # the group, wherever it is used
        assert slower.limits["cancel"].per_second == 1.0  # untouched: the vendor's own
        with pytest.raises(ValueError, match="has no limit group orders"):
            upstreams.provider("getatext", "http://v", Timeouts(), limits={"orders": 1.0})
    finally:
        await upstreams.aclose()


def test_a_stray_error_does_not_cool_a_provider_that_mostly_works() -> None:
    from proxy.domain import UpstreamAccount
    from proxy.errors import Maintenance, UpstreamUnavailable
    from proxy.local.clock import ManualClock
    from proxy.router import Router

    clock = ManualClock()
    router = Router(clock.now)
    alpha, beta = UpstreamAccount("alpha", "k", "alpha", 1), UpstreamAccount("beta", "k", "beta", 2)
    for _ in range(3):
        router.succeeded(alpha)
    assert router.failed(alpha, UpstreamUnavailable("5xx"))  # the next one serves this call
    assert router.cooling() == {}  # 1 failure in 4 calls: alpha stays in rotation
    router.failed(alpha, UpstreamUnavailable("5xx"))
    assert router.cooling() == {}  # 2 in 5
    router.failed(alpha, UpstreamUnavailable("5xx"))
    assert router.cooling() == {"alpha": 30.0}  # 3 in 6: half of its calls failed
    assert router.candidates([alpha, beta]) == [beta]
    clock.advance(31)
    assert router.candidates([alpha, beta]) == [alpha, beta]
    router.failed(beta, Maintenance())  # a clear answer cools at once, whatever the ratio
    assert router.cooling() == {"beta": 60.0}
    clock.advance(61)
    assert router.candidates([beta]) == [beta]

"""A tenant's policy as the admin API reads and shows it (JSON): one parser for
`POST /admin/keys` and `PATCH /admin/tenants/{name}`."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from proxy.domain import TenantPolicy
from proxy.service import Operations
from proxy.service.tenants.issued_keys import PolicyChange


def _money(body: dict[str, Any], name: str) -> Decimal | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{name} must be an amount such as 50 or 12.50")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{name} must be an amount such as 50 or 12.50") from None


def _names(body: dict[str, Any], name: str) -> tuple[str, ...] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"{name} must be a list of names")
    return tuple(value)


def policy_change(body: dict[str, Any]) -> PolicyChange:
    """`ValueError` with the reason for a field of the wrong kind."""
    max_active = body.get("max_active")
    if max_active is not None and (isinstance(max_active, bool) or not isinstance(max_active, int)):
        raise ValueError("max_active must be a whole number above 0")
    rate = body.get("rate_per_second")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int | float)):
        raise ValueError("rate_per_second must be a number")
    prices = body.get("max_prices")
    if prices is not None and not isinstance(prices, dict):
        raise ValueError("max_prices must map services to amounts")
    url = body.get("webhook_url")
    if url is not None and not isinstance(url, str):
        raise ValueError("webhook_url must be an http(s) URL")
    shows = body.get("upstream_balance")
    if shows is not None and not isinstance(shows, bool):
        raise ValueError("upstream_balance must be true or false")
    change = PolicyChange(
        max_active=max_active,
        services=_names(body, "services"),
        daily_budget=_money(body, "daily_budget"),
        monthly_budget=_money(body, "monthly_budget"),
        rate_per_second=None if rate is None else float(rate),
        countries=_names(body, "countries"),
        max_prices=None
        if prices is None
        else tuple((str(s), _money(prices, s) or Decimal(0)) for s in prices),
        webhook_url=url,
        upstream_balance=shows,
    )
    change.check()
    return change


async def tenant_view(operations: Operations, policy: TenantPolicy) -> dict[str, Any]:
    def money(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    left = await operations.budget_left(policy.tenant)
    return {
        "tenant": policy.tenant,
        "max_active": policy.max_active,
        "services": list(policy.services),
        "daily_budget": money(policy.daily_budget),
        "monthly_budget": money(policy.monthly_budget),
        "budget_remaining": money(left),
        "rate_per_second": policy.rate_per_second,
        "countries": list(policy.countries),
        "max_prices": {s: str(p) for s, p in policy.max_prices},
        "webhook_url": policy.webhook_url,
        "upstream_balance": policy.upstream_balance,
    }

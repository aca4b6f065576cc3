"""A tenant policy as one JSON document: new limits need no new columns."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from proxy.domain import TenantPolicy


def policy_document(policy: TenantPolicy) -> str:
    def money(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    return json.dumps(
        {
            "max_active": policy.max_active,
            "services": list(policy.services),
            "daily_budget": money(policy.daily_budget),
            "monthly_budget": money(policy.monthly_budget),
            "rate_per_second": policy.rate_per_second,
            "countries": list(policy.countries),
            "max_prices": {s: str(p) for s, p in policy.max_prices},
            "webhook_url": policy.webhook_url,
            "upstream_balance": policy.upstream_balance,
        },
        sort_keys=True,
    )


def policy_from(tenant: str, document: str) -> TenantPolicy:
    doc: dict[str, Any] = json.loads(document)

    def money(key: str) -> Decimal | None:
        value = doc.get(key)
        return None if value is None else Decimal(value)

    return TenantPolicy(
        tenant,
        max_active=doc.get("max_active"),
        services=tuple(doc.get("services", ())),
        daily_budget=money("daily_budget"),
        monthly_budget=money("monthly_budget"),
        rate_per_second=doc.get("rate_per_second"),
        countries=tuple(doc.get("countries", ())),
        max_prices=tuple((s, Decimal(p)) for s, p in doc.get("max_prices", {}).items()),
        webhook_url=doc.get("webhook_url"),
        upstream_balance=bool(doc.get("upstream_balance", False)),
    )

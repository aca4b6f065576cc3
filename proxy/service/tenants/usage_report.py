"""The usage report as the CLI prints it and `/admin/usage` answers it: table, CSV or
JSON, the same numbers in each."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from proxy.service.tenants.usage import Check, Usage

FORMATS = ("table", "csv", "json")
CENT = Decimal("0.01")
COLUMNS = ("tenant", "purchases", "charged", "refunds", "refunded", "adjusted", "net", "held")


def since_date(text: str) -> float:
    """`2026-11-30` as the start of that UTC day; `ValueError` otherwise."""
    try:
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise ValueError("since must be a date such as 2026-11-30") from None
    return day.timestamp()


def money(value: Decimal) -> str:
    """Cents always shown; finer amounts (some vendors price in mills) as they are."""
    cents = value.quantize(CENT)
    return f"{cents:.2f}" if cents == value else str(value.normalize())


def _row(u: Usage) -> dict[str, Any]:
    return {
        "tenant": u.tenant,
        "purchases": u.purchases,
        "charged": money(u.charged),
        "refunds": u.refunds,
        "refunded": money(u.refunded),
        "adjusted": money(u.adjusted),
        "net": money(u.net),
        "held": money(u.held),
    }


def as_dict(usages: list[Usage], check: Check) -> dict[str, Any]:
    return {
        "tenants": [_row(u) for u in usages],
        "check": {
            "intervals": check.intervals,
            "drift": money(check.total),
            "drifts": [
                {
                    "provider": d.provider,
                    "from_entry": d.from_entry,
                    "to_entry": d.to_entry,
                    "vendor_moved": money(d.vendor_moved),
                    "ledger_moved": money(d.ledger_moved),
                }
                for d in check.drifts
            ],
        },
    }


def render(usages: list[Usage], check: Check, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(as_dict(usages, check), indent=2) + "\n"
    rows = [_row(u) for u in usages]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()
    table = [list(COLUMNS)] + [[str(r[c]) for c in COLUMNS] for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) for line in table
    ]
    verdict = f"ledger check: {check.intervals} intervals against the vendor's balance, " + (
        "no drift" if not check.drifts else f"drift {money(check.total)} in {len(check.drifts)}"
    )
    return "\n".join([*(line.rstrip() for line in lines), verdict]) + "\n"

"""Reading the vendor's loosely typed answers: money as strings or numbers, "null" strings."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from proxy.errors import UpstreamUnavailable

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def money(value: Any) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise UpstreamUnavailable("answer without an amount")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise UpstreamUnavailable("answer with a malformed amount") from None


def optional_money(value: Any) -> Decimal | None:
    try:
        return money(value)
    except UpstreamUnavailable:
        return None


def timestamp(value: Any) -> float:
    """`end_time` is `YYYY-MM-DD HH:MM:SS`; the sandbox states UTC (docs/sandbox.md)."""
    try:
        return datetime.strptime(str(value), TIME_FORMAT).replace(tzinfo=UTC).timestamp()
    except ValueError:
        raise UpstreamUnavailable("answer with a malformed time") from None


def obj(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise UpstreamUnavailable("answer is not a JSON object")
    return body


def code(value: Any) -> str | None:
    if value is None or value == "null" or value == "":
        return None
    return str(value)


def integer(value: Any) -> int:
    if isinstance(value, bool):
        raise UpstreamUnavailable("answer with a malformed id")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise UpstreamUnavailable("answer with a malformed id") from None

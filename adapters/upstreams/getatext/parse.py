"""Reading the vendor's loosely typed answers: money as strings or numbers, "null" strings."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from proxy.domain import PushedCode, RentalSnapshot, RentalState
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


# the vendor's rental words (getatext-api.txt; "viewed": the code was read)
STATES = {
    "active": RentalState.OPEN,
    "viewed": RentalState.OPEN,
    "cancelled": RentalState.CANCELLED,
    "completed": RentalState.FINISHED,
    "expired": RentalState.EXPIRED,
}


def state(value: Any) -> RentalState:
    return STATES.get(str(value).lower(), RentalState.UNKNOWN)


MAX_ID = 2**63 - 1
MAX_CODE = 64


def webhook(body: Any) -> PushedCode | None:
    """The vendor's webhook body (getatext-api.txt, "POST Webhook"); None when it is not
    one: no id in range, or no code."""
    if not isinstance(body, dict):
        return None
    rental_id, code = body.get("id"), body.get("code")
    if isinstance(rental_id, bool) or not isinstance(rental_id, int) or not 0 < rental_id <= MAX_ID:
        return None
    if isinstance(code, bool) or not isinstance(code, str | int) or code == "":
        return None
    if len(str(code)) > MAX_CODE:
        return None
    return PushedCode(
        rental_id, str(code), _pushed_rental(rental_id, body), _received_at(body)
    )


def _received_at(body: dict[str, Any]) -> float | None:
    """When the vendor says the code came (it retries deliveries: an older one arriving
    late must not replace a newer code); None when absent or unreadable."""
    try:
        return timestamp(body["received_at"]) if "received_at" in body else None
    except UpstreamUnavailable:
        return None


def _pushed_rental(rental_id: int, body: dict[str, Any]) -> RentalSnapshot | None:
    number, name = body.get("number"), body.get("service_name")
    if not isinstance(number, str) or not number.isascii() or not isinstance(name, str):
        return None
    try:
        end = timestamp(body.get("end_time"))
        cost = money(body.get("cost"))
    except UpstreamUnavailable:
        return None
    if not cost.is_finite():
        return None
    return RentalSnapshot(
        upstream_id=rental_id,
        state=state(body.get("status") or "active"),
        code=code(body.get("code")),
        end_time=end,
        number=number,
        service_name=name,
        cost=cost,
    )

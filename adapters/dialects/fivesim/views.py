"""5sim's JSON shapes: orders, SMS objects, RFC 3339 times, exact content types."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from proxy.domain import Activation, ActivationStatus

from .. import codes, countries

S = ActivationStatus


def rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# -- rendering ------------------------------------------------------------------------------
def status_of(a: Activation, now: float) -> str:
    if a.status in (S.WAITING, S.CODE_RECEIVED, S.RETRY_WAIT) and now >= a.end_time:
        return "FINISHED" if a.code else "TIMEOUT"
    return {
        S.WAITING: "PENDING",
        S.CODE_RECEIVED: "RECEIVED",
        S.RETRY_WAIT: "RECEIVED",
        S.CANCELLED: "CANCELED",
        S.BANNED: "BANNED",
        S.COMPLETED: "FINISHED",
        S.EXPIRED: "FINISHED" if a.code else "TIMEOUT",
    }[a.status]


def sms_list(a: Activation) -> list[dict[str, Any]]:
    if a.code is None:
        return []
    at = rfc3339(a.code_at or a.created_at)
    return [{"created_at": at, "date": at, "sender": "", "text": a.code, "code": a.code}]


def order_json(a: Activation, now: float) -> dict[str, Any]:
    return {
        "id": a.id,
        "phone": "+" + countries.international(a),
        "operator": codes.FIVESIM_OPERATOR_OF.get(a.carrier or "", "any"),  # F16
        "product": codes.fivesim_slug(a.service),
        "price": float(a.cost),
        "status": status_of(a, now),
        "expires": rfc3339(a.end_time),
        "sms": sms_list(a),
        "created_at": rfc3339(a.created_at),
        "forwarding": False,
        "forwarding_number": "",
        "country": countries.of(a).fivesim,
    }

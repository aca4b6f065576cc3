"""The older and rarer SMS-Activate actions that read what the proxy holds: `getHistory`,
`getIncomingCallStatus`, `getListOfActiveActivations` (protocol reference §2, §3)."""

from __future__ import annotations

from aiohttp import web

from proxy.domain import Activation, ActivationStatus
from proxy.errors import NotFound

from ..base import json_response, positive_int, text_response
from . import params as p
from .actions import get_active_activations_rows, money, phone, when
from .frame import Call

S = ActivationStatus
HISTORY_SPAN = 30 * 86400  # the protocol's widest range
HISTORY_PAGE = 100
LIST_PAGE = 10  # getListOfActiveActivations' `length` is at most 10


def history_status(a: Activation) -> str:
    """The setStatus number it ended with: 6 finished, 8 cancelled; 4 still open."""
    if a.status is S.COMPLETED or (a.status is S.EXPIRED and a.code is not None):
        return "6"
    return "4" if a.status.is_open else "8"


async def get_history(call: Call) -> web.Response:
    start, end = positive_int(call.params.get("start")), positive_int(call.params.get("end"))
    now = int(call.service.clock.now())
    end = end if end is not None else now
    start = start if start is not None else end - HISTORY_SPAN
    if start > end or end - start > HISTORY_SPAN:
        return text_response("WRONG_DATE")
    offset = positive_int(call.params.get("offset")) or 0
    limit = min(positive_int(call.params.get("limit")) or 50, HISTORY_PAGE)
    rows: list[dict[str, object]] = []
    page, _ = await call.service.history(call.tenant, offset + 10 * limit, 0, newest_first=True)
    for a in page:
        if start <= a.created_at <= end:
            rows.append(
                {
                    "id": a.id,
                    "date": when(a.created_at),
                    "phone": phone(a),
                    "sms": [a.code] if a.code else [],
                    "cost": 0 if a.status.is_open else float(money(a.cost)),
                    "status": history_status(a),
                    "currency": 840,
                }
            )
    return json_response(rows[offset : offset + limit])


async def get_incoming_call_status(call: Call) -> web.Response:
    """Calls are not offered: `phone` is always false; the status follows the activation."""
    activation_id = p.activation_id(call.params)
    try:
        a = await call.service.status(call.tenant, activation_id)
    except NotFound:
        return text_response("INVALID_ACTIVATION_ID")
    status = "2" if a.status.is_open else "3" if a.status is S.COMPLETED else "4"
    return json_response({"status": status, "phone": False})


async def get_list_of_active_activations(call: Call) -> web.Response:
    """The official Java client's older form of getActiveActivations."""
    start = positive_int(call.params.get("start")) or 0
    length = min(positive_int(call.params.get("length")) or LIST_PAGE, LIST_PAGE)
    rows = await get_active_activations_rows(call)
    page = rows[start : start + length]
    return json_response(
        {"data": page, "existNext": start + length < len(rows), "quant": len(rows)}
    )

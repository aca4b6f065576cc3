"""Sending through the injected httpx client, with transport failures made domain errors.

A failure before the request left (connect errors, pool exhaustion) means nothing
happened: `UpstreamUnavailable`. A failure after it left (read timeout, dropped
connection, unreadable success body) means the vendor may have acted: on a purchase that
is `OutcomeUnknown`, which the core never retries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from proxy.errors import OutcomeUnknown, UpstreamUnavailable

NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any  # parsed JSON; None when the body was empty


async def send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    json_body: dict[str, Any] | None = None,
    timeout: float,
    purchase: bool = False,
) -> Answer:
    try:
        response = await client.request(
            method, url, json=json_body, headers=headers, timeout=timeout
        )
    except NOT_SENT as exc:
        raise UpstreamUnavailable(f"not sent: {type(exc).__name__}") from None
    except httpx.HTTPError as exc:
        if purchase:
            raise OutcomeUnknown(f"no answer: {type(exc).__name__}") from None
        raise UpstreamUnavailable(f"no answer: {type(exc).__name__}") from None
    try:
        body = json.loads(response.content) if response.content.strip() else None
    except ValueError:
        if purchase and response.status_code < 300:
            raise OutcomeUnknown("unreadable answer to a purchase") from None
        raise UpstreamUnavailable(f"unreadable answer (HTTP {response.status_code})") from None
    return Answer(response.status_code, body)

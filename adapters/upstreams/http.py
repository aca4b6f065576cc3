"""Sending through the injected httpx client, with transport failures made domain errors.

A failure before the request left (connect errors, pool exhaustion) means nothing
happened: `UpstreamUnavailable`. A failure after it left (read timeout, dropped
connection, unreadable success body) means the vendor may have acted: on a purchase that
is `OutcomeUnknown`, which the core never retries. Every attempt is reported to the
observer with its outcome class and duration.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from proxy.errors import OutcomeUnknown, UpstreamUnavailable

NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,  # a header or URL the client refused to put on the wire
    httpx.InvalidURL,
)
Report = Callable[[str, float], None]  # (outcome, seconds)


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any  # parsed JSON; None when the body was empty
    retry_after: float | None = None  # seconds, from a Retry-After header


def retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (the HTTP-date form is not used by this vendor)."""
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and 0 <= seconds <= 3600 else None


def status_class(status: int) -> str:
    if status == 429:
        return "429"
    return f"{min(status // 100, 5)}xx"


async def send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    json_body: dict[str, Any] | None = None,
    params: dict[str, str] | None = None,
    timeout: float,
    purchase: bool = False,
    report: Report | None = None,
    text: bool = False,
) -> Answer:
    """`text`: the body is plain text (handler_api vendors), kept as a string."""
    started = time.perf_counter()

    def done(outcome: str) -> None:
        if report is not None:
            report(outcome, time.perf_counter() - started)

    try:
        response = await client.request(
            method, url, json=json_body, params=params, headers=headers, timeout=timeout
        )
    except (*NOT_SENT, UnicodeEncodeError) as exc:
        done("connection_error")
        raise UpstreamUnavailable(f"not sent: {type(exc).__name__}") from None
    except httpx.HTTPError as exc:
        done("timeout" if isinstance(exc, httpx.TimeoutException) else "connection_error")
        if purchase:
            raise OutcomeUnknown(f"no answer: {type(exc).__name__}") from None
        raise UpstreamUnavailable(f"no answer: {type(exc).__name__}") from None
    try:
        if text:
            body: Any = response.content.decode("utf-8").strip()
        else:
            body = json.loads(response.content) if response.content.strip() else None
    except ValueError:
        done("malformed")
        if purchase and not 300 <= response.status_code < 500:
            # a success, or a gateway's 5xx, that cannot be read: the sale may have happened
            raise OutcomeUnknown("unreadable answer to a purchase") from None
        raise UpstreamUnavailable(f"unreadable answer (HTTP {response.status_code})") from None
    done(status_class(response.status_code))
    return Answer(response.status_code, body, retry_after(response.headers.get("Retry-After")))

"""Sending through one shared aiohttp client session, with transport failures made
domain errors.

A failure before the request left (connect errors, a connection not had from the pool in
time, a URL or header that cannot be sent) means nothing happened: `UpstreamUnavailable`.
A failure after it left (read timeout, dropped connection, unreadable success body) means
the vendor may have acted: on a purchase that is `OutcomeUnknown`, which the core never
retries. Every attempt is reported to the observer with its outcome class and duration.

aiohttp's client was chosen on measurements (bench/overhead.py): for the same forwarded
call httpx cost the proxy several times the CPU, most of it in httpcore's pool.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from proxy.errors import NO_ANSWER, OutcomeUnknown, UpstreamUnavailable

NOT_SENT = (
    aiohttp.ClientConnectorError,  # refused, unreachable, name not resolved
    aiohttp.ConnectionTimeoutError,  # no connection (or pool slot) in time
    aiohttp.InvalidURL,
    UnicodeEncodeError,
    ValueError,  # a header the client refused to put on the wire
)


class Http:
    """The shared session, opened on first use (it belongs to the running loop)."""

    def __init__(self, max_connections: int = 200) -> None:
        self._max = max_connections
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._max, keepalive_timeout=30),
                # the bodies are read whole; vendors answer small JSON or text
                auto_decompress=True,
                trust_env=False,
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def __aenter__(self) -> Http:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()


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


@functools.lru_cache(maxsize=64)
def _limits(timeout: float) -> aiohttp.ClientTimeout:
    """A few distinct timeouts (one per kind of call): each built once."""
    return aiohttp.ClientTimeout(total=None, connect=timeout, sock_read=timeout)


async def send(
    http: Http,
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    json_body: dict[str, Any] | None = None,
    params: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    timeout: float,
    purchase: bool = False,
    report: Report | None = None,
    text: bool = False,
) -> Answer:
    """`text`: the body is plain text (handler_api vendors), kept as a string. `form`: the
    parameters as a urlencoded body (keys stay out of URLs and their access logs)."""
    started = time.perf_counter()

    def done(outcome: str) -> None:
        if report is not None:
            report(outcome, time.perf_counter() - started)

    limits = _limits(timeout)
    try:
        async with http.session.request(
            method,
            url,
            json=json_body,
            data=form,
            params=params,
            headers=headers,
            timeout=limits,
        ) as response:
            status, content = response.status, await response.read()
            after = response.headers.get("Retry-After")
    except NOT_SENT as exc:
        done("connection_error")
        raise UpstreamUnavailable(f"not sent: {type(exc).__name__}") from None
    except (TimeoutError, aiohttp.ClientError) as exc:
        done("timeout" if isinstance(exc, TimeoutError) else "connection_error")
        if purchase:
            raise OutcomeUnknown(f"{NO_ANSWER}: {type(exc).__name__}") from None
        raise UpstreamUnavailable(f"{NO_ANSWER}: {type(exc).__name__}") from None
    try:
        if text:
            body: Any = content.decode("utf-8").strip()
        else:
            body = json.loads(content) if content.strip() else None
    except ValueError:
        done("malformed")
        if purchase and not 300 <= status < 500:
            # a success, or a gateway's 5xx, that cannot be read: the sale may have happened
            raise OutcomeUnknown("unreadable answer to a purchase") from None
        raise UpstreamUnavailable(f"unreadable answer (HTTP {status})") from None
    done(status_class(status))
    return Answer(status, body, retry_after(after))

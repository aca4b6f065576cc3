"""aiohttp's HTTP server, made quiet about requests it cannot read.

aiohttp answers a request it cannot parse (a request line over 8190 bytes, a control
character in the query or in a header value) with a 400 whose body quotes the offending
bytes, and logs the exception, which quotes them again. Those bytes are the request
line: `api_key=...` in every handler_api dialect. Here such a request gets a bare
`400 Bad Request` and one log line naming the error class only.

aiohttp has no public hook for this; the subclass uses the server's own constructor
arguments (`_loop`, `_kwargs`) and the runner's `_make_server`. tests/e2e/test_secrets.py
sends the hostile requests through this runner and fails if a secret shows anywhere.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

log = logging.getLogger("smsproxy.server")


class QuietRequestHandler(RequestHandler):
    def log_exception(self, *args: Any, **kw: Any) -> None:
        error = kw.get("exc_info")
        kind = type(error).__name__ if isinstance(error, BaseException) else "error"
        where = args[0] % args[1:] if args and isinstance(args[0], str) else "request"
        log.warning("%s: %s (details withheld: they may quote the request)", where, kind)

    def handle_error(
        self,
        request: Any,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        try:
            plain = f"{status} {HTTPStatus(status).phrase}"
        except ValueError:
            plain = f"{status} Error"
        return super().handle_error(request, status, exc, plain)


class QuietServer(web.Server):
    @classmethod
    def like(cls, server: web.Server) -> QuietServer:
        return cls(
            server.request_handler,
            request_factory=server.request_factory,
            handler_cancellation=server.handler_cancellation,
            loop=server._loop,
            **server._kwargs,
        )

    def __call__(self) -> RequestHandler:
        return QuietRequestHandler(self, loop=self._loop, **self._kwargs)


class QuietAppRunner(web.AppRunner):
    """`web.AppRunner` whose connections answer unreadable requests without quoting them."""

    async def _make_server(self) -> web.Server:
        return QuietServer.like(await super()._make_server())

"""The frame of every 5sim endpoint: the key, the call, errors to plain text."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from proxy import errors as e
from proxy.domain import Tenant
from proxy.service import Clients
from proxy.web.app_keys import REQUEST_NOTE

from ..sources import source_of
from .errors import ERRORS, Refusal


def ok(payload: Any) -> web.Response:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return web.Response(body=body, content_type="application/json")


def fail(status: int, body: str) -> web.Response:
    return web.Response(status=status, text=body, content_type="text/plain")


log = logging.getLogger("smsproxy.dialect.fivesim")
NAME = "5sim"  # the dialect label of its requests' metrics and access lines


@dataclass(frozen=True)
class Call:
    service: Clients
    tenant: Tenant | None
    request: web.Request

    @property
    def me(self) -> Tenant:
        assert self.tenant is not None
        return self.tenant

    def path(self, name: str) -> str:
        return self.request.match_info[name]

    def query(self, name: str) -> str | None:
        value = self.request.query.get(name, "").strip()
        return value or None  # empty values mean absent


Handler = Callable[[Call], Awaitable[web.Response]]
Access = str
USER = "user"  # the client's own key
GUEST = "guest"  # the client's key if it sent one, else the configured guest key
STATIC = "static"  # answered without any key: fixed lists (F8)


def token(request: web.Request) -> str | None:
    """`Authorization: Bearer X` or a bare `X`."""
    raw = request.headers.get("Authorization", "").strip()
    if raw.lower().startswith("bearer "):
        raw = raw[7:].strip()
    return raw or None


# -- frame ---------------------------------------------------------------------------------
def wrap(
    service: Clients, action: str, handler: Handler, guest_key: str | None, access: Access = USER
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        note = {"dialect": NAME, "action": action, "result": "ok"}
        request[REQUEST_NOTE] = note
        try:
            key = token(request)
            if access == STATIC and key is None:
                return await handler(Call(service, None, request))
            if access == GUEST and key is None:
                key = guest_key
                if key is None:  # F8: prices only from what some key has read already
                    return await handler(Call(service, None, request))
            tenant = await service.tenant(key, source_of(request))
            return await handler(Call(service, tenant, request))
        except Refusal as refusal:
            note["result"] = "bad_request"
            return fail(*refusal.reply)
        except e.DomainError as error:
            note["result"] = type(error).__name__
            return fail(*ERRORS.answer(error, action))
        except Exception:
            note["result"] = "internal"
            log.exception("5sim %s failed", action)
            return fail(*ERRORS.generic)

    return handle

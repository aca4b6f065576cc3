"""The frame every handler_api action runs in: intake, key, dispatch, error tokens.

Every answer is HTTP 200 with a token or JSON body; nothing else ever leaves.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from aiohttp import web

from proxy.domain import Tenant
from proxy.errors import DomainError, MissingKey
from proxy.service import Clients
from proxy.web.app_keys import REQUEST_NOTE

from ..answers import ErrorTable
from ..base import Params, Unreadable, query_params, read_params, text_response
from ..codes import Vocabulary
from ..sources import source_of
from .params import Answer
from .tokens import token_for

log = logging.getLogger("smsproxy.dialect")


@dataclass(slots=True)  # not frozen: a frozen init costs 4x, and one is made per request
class Call:
    service: Clients
    tenant: Tenant
    params: Params
    vocab: Vocabulary
    action: str


Action = Callable[[Call], Awaitable[web.Response]]


class Answered(Exception):
    """An action's own refusal, already in its protocol's shape (the rent API's JSON
    errors); `result` labels it in the metrics as a domain error would be."""

    def __init__(self, response: web.Response, result: str) -> None:
        super().__init__(result)
        self.response = response
        self.result = result


@dataclass(frozen=True)
class Flavour:
    """One handler_api dialect: its actions and its token tables."""

    name: str
    actions: Mapping[str, Action]
    tokens: ErrorTable[str]
    missing_key: str
    aliases: Mapping[str, str]


def make_handler(
    flavour: Flavour, service: Clients, vocab: Vocabulary
) -> Callable[[web.Request], Awaitable[web.Response]]:
    dialect, actions, aliases = flavour.name, flavour.actions, flavour.aliases

    async def handle(request: web.Request) -> web.Response:
        note = {"dialect": dialect, "action": "unknown", "result": "ok"}
        request[REQUEST_NOTE] = note
        try:
            params = (
                query_params(request) if request.method == "GET" else await read_params(request)
            )
        except Unreadable:
            note["result"] = "bad_request"
            return text_response("BAD_ACTION")
        name = params.get("action", "")
        name = aliases.get(name, name)
        action = actions.get(name)
        if action is None:
            note["result"] = "bad_request"
        else:
            note["action"] = name
        try:
            tenant = await service.tenant(
                params.get("api_key") or request.headers.get("X-ApiKey"), source_of(request)
            )
        except MissingKey as error:
            note["result"] = type(error).__name__
            return text_response(flavour.missing_key)
        except DomainError as error:  # a bad key, or a tenant past its request rate
            note["result"] = type(error).__name__
            return text_response(token_for(error, name, flavour.tokens))
        if action is None:
            return text_response("BAD_ACTION")
        try:
            return await action(Call(service, tenant, params, vocab, name))
        except Answer as answer:
            note["result"] = "bad_request"
            return text_response(answer.token)
        except Answered as answered:
            note["result"] = answered.result
            return answered.response
        except DomainError as error:
            note["result"] = type(error).__name__
            return text_response(token_for(error, _detail(name, params), flavour.tokens))
        except Exception:
            note["result"] = "internal"
            log.exception("%s action %s failed", flavour.name, name)
            return text_response(flavour.tokens.generic)

    return handle


def _detail(action: str, params: Params) -> str:
    """Token tables may key setStatus rows by status: `setStatus:6`."""
    return f"setStatus:{params.get('status')}" if action == "setStatus" else action

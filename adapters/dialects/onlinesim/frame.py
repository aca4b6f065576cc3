"""The frame of every OnlineSIM method: parameters (query, form or JSON body), the key,
dispatch, errors as `{"response":"<WORD>"}`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from proxy.domain import Tenant
from proxy.errors import DomainError
from proxy.service import Clients
from proxy.web.app_keys import REQUEST_NOTE

from ..base import Unreadable, json_response, read_any_params
from ..codes import Vocabulary
from ..sources import source_of
from .errors import WORDS

log = logging.getLogger("smsproxy.dialect.onlinesim")
NAME = "onlinesim"  # the dialect label of its requests' metrics and access lines


class Word(Exception):
    """An answer in OnlineSIM's words, decided before the core is asked."""

    def __init__(self, word: str) -> None:
        super().__init__(word)
        self.word = word


@dataclass(frozen=True)
class Call:
    service: Clients
    tenant: Tenant
    params: Mapping[str, str]
    vocab: Vocabulary


Method = Callable[[Call], Awaitable[web.Response]]


def answer(**fields: Any) -> web.Response:
    return json_response({"response": 1, **fields})


def refuse(word: str) -> web.Response:
    return json_response({"response": word})


def make_handler(
    methods: Mapping[str, Method], service: Clients, vocab: Vocabulary
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        name = request.match_info["method"]
        note = {"dialect": NAME, "action": name if name in methods else "unknown"}
        note["result"] = "ok"
        request[REQUEST_NOTE] = note
        try:
            params = await read_any_params(request)
        except Unreadable:
            note["result"] = "bad_request"
            return refuse("ERROR_PARAMS")
        method = methods.get(name)
        try:
            tenant = await service.tenant(params.get("apikey"), source_of(request))
            if method is None:
                note["result"] = "bad_request"
                return refuse("REQUEST_NOT_FOUND")
            return await method(Call(service, tenant, params, vocab))
        except Word as word:
            note["result"] = "bad_request"
            return refuse(word.word)
        except DomainError as error:
            note["result"] = type(error).__name__
            return refuse(WORDS.answer(error, name))
        except Exception:
            note["result"] = "internal"
            log.exception("onlinesim %s failed", name)
            return refuse(WORDS.generic)

    return handle

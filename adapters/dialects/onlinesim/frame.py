"""The frame of every OnlineSIM method: parameters (query, form or JSON body), the key,
dispatch, errors as `{"response":"<WORD>"}`."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from proxy.domain import Tenant
from proxy.errors import DomainError
from proxy.keys import REQUEST_NOTE
from proxy.service import Service

from ..base import Unreadable, json_response, read_params
from ..codes import Vocabulary
from .errors import word_for

log = logging.getLogger("smsproxy.dialect.onlinesim")
MAX_BODY = 16 * 1024


class Word(Exception):
    """An answer in OnlineSIM's words, decided before the core is asked."""

    def __init__(self, word: str) -> None:
        super().__init__(word)
        self.word = word


@dataclass(frozen=True)
class Call:
    service: Service
    tenant: Tenant
    params: Mapping[str, str]
    vocab: Vocabulary


Method = Callable[[Call], Awaitable[web.Response]]


def answer(**fields: Any) -> web.Response:
    return json_response({"response": 1, **fields})


def refuse(word: str) -> web.Response:
    return json_response({"response": word})


async def params_of(request: web.Request) -> dict[str, str]:
    """Query and form (base.read_params), and a JSON body's scalars (the Python client
    POSTs JSON): booleans as true/false, names trimmed, empty values dropped."""
    merged = await read_params(request)
    if request.method == "POST" and request.content_type == "application/json":
        raw = await request.content.read(MAX_BODY + 1)
        if len(raw) > MAX_BODY:
            raise Unreadable("body too large")
        try:
            body = json.loads(raw or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise Unreadable("not JSON") from None
        if isinstance(body, dict):
            for name, value in body.items():
                if isinstance(value, bool):
                    merged[name.strip()] = "true" if value else "false"
                elif isinstance(value, str | int | float) and str(value).strip():
                    merged[name.strip()] = str(value).strip()
    return merged


def make_handler(
    methods: Mapping[str, Method], service: Service, vocab: Vocabulary
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        name = request.match_info["method"]
        note = {"dialect": "onlinesim", "action": name if name in methods else "unknown"}
        note["result"] = "ok"
        request[REQUEST_NOTE] = note
        try:
            params = await params_of(request)
        except Unreadable:
            note["result"] = "bad_request"
            return refuse("ERROR_PARAMS")
        method = methods.get(name)
        try:
            tenant = service.tenant(params.get("apikey"))
            if method is None:
                note["result"] = "bad_request"
                return refuse("REQUEST_NOT_FOUND")
            return await method(Call(service, tenant, params, vocab))
        except Word as word:
            note["result"] = "bad_request"
            return refuse(word.word)
        except DomainError as error:
            note["result"] = type(error).__name__
            return refuse(word_for(error, name))
        except Exception:
            note["result"] = "internal"
            log.exception("onlinesim %s failed", name)
            return refuse("TRY_AGAIN_LATER")

    return handle

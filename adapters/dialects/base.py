"""Request intake shared by the handler_api dialects: one flat, trimmed parameter set."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from proxy.inputs import parse_id

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
TRUE = frozenset({"true", "1", "yes", "on"})
MAX_JSON_BODY = 16 * 1024

Params = Mapping[str, str]


class Unreadable(Exception):
    """The request could not be read (too large, broken form): answer, never crash."""


async def read_params(request: web.Request) -> dict[str, str]:
    """Query and form merged (the body wins), names trimmed, empty values dropped."""
    if request.method != "POST" or request.content_type not in FORM_TYPES:
        return query_params(request)
    merged = query_params(request)
    try:
        form = await request.post()
    except (web.HTTPException, ValueError, UnicodeDecodeError) as exc:
        raise Unreadable(type(exc).__name__) from None
    merged.update({k.strip(): v.strip() for k, v in form.items() if isinstance(v, str)})
    return {k: v for k, v in merged.items() if v}


def query_params(request: web.Request) -> dict[str, str]:
    """`read_params` of a request without a form body, with no coroutine (every poll)."""
    raw = request.rel_url.raw_query_string
    if "%" in raw or "+" in raw:  # escapes to decode: yarl's parser does it
        query = request.query
        merged = dict(
            zip(map(str.strip, query.keys()), map(str.strip, query.values()), strict=True)
        )
    else:
        merged = dict(_recent_query(raw))  # a copy: read_params adds the form to it
    if "" in merged.values():  # rare: a second pass only when there is one to drop
        return {k: v for k, v in merged.items() if v}
    return merged


async def read_any_params(request: web.Request) -> dict[str, str]:
    """Query and form (`read_params`), and a JSON body's scalars (REST clients POST
    JSON): booleans as true/false, names trimmed, empty values dropped."""
    merged = await read_params(request)
    if request.method == "POST" and request.content_type == "application/json":
        raw = await request.content.read(MAX_JSON_BODY + 1)
        if len(raw) > MAX_JSON_BODY:
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


def first(params: Params, *names: str) -> str | None:
    """The first present alias: `first(p, "id", "activationId")`."""
    for name in names:
        value = params.get(name)
        if value:
            return value
    return None


def boolean(value: str | None) -> bool:
    return value is not None and value.strip().lower() in TRUE


def listing(value: str | None) -> list[str]:
    if not value:
        return []
    return [item.strip() for item in value.split(",") if item.strip()]


def positive_int(value: str | None) -> int | None:
    return parse_id(value)


def plain_query(raw: str) -> dict[str, str]:
    """A query string with nothing to decode, split as yarl splits one (on `&`, blank
    parts skipped, a name without `=` has an empty value, the last of a repeated name
    wins), names and values trimmed: a third of the cost of yarl's `query`, which builds
    a MultiDict through its decoder (tests/unit/test_query_params.py compares the two)."""
    merged = {}
    for part in raw.split("&"):
        if part:
            name, _, value = part.partition("=")
            merged[name.strip()] = value.strip()
    return merged


# a client polls one URL until its code comes: most queries were split moments before
_recent_query = lru_cache(maxsize=4096)(plain_query)

# whole headers, copied by each Response: cheaper than building the type from two parts
TEXT_HEADERS = CIMultiDictProxy(CIMultiDict({"Content-Type": "text/html; charset=UTF-8"}))
JSON_HEADERS = CIMultiDictProxy(CIMultiDict({"Content-Type": "application/json"}))


def text_response(body: str) -> web.Response:
    return web.Response(body=body.encode(), headers=TEXT_HEADERS)


def json_response(payload: Any) -> web.Response:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return web.Response(body=body, headers=JSON_HEADERS)

"""JSON bodies: bounded in size and depth before the parser sees them.

`json.loads` recurses once per nesting level, so `[` x 60000 ends in RecursionError;
the depth is counted on the raw bytes first (outside strings), which costs one pass.
"""

from __future__ import annotations

import json
from typing import Any

MAX_BODY_BYTES = 64 * 1024
MAX_DEPTH = 32
OPENERS, CLOSERS = frozenset(b"[{"), frozenset(b"]}")
QUOTE, BACKSLASH = ord('"'), ord("\\")


class BodyError(ValueError):
    """The body is not JSON this service reads."""


def depth(raw: bytes) -> int:
    """The deepest nesting of arrays and objects (brackets inside strings not counted)."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return 0 if not raw.count(b"[") + raw.count(b"{") else 1  # cannot be too deep
    deepest = level = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == BACKSLASH:
                escaped = True
            elif byte == QUOTE:
                in_string = False
        elif byte == QUOTE:
            in_string = True
        elif byte in OPENERS:
            level += 1
            deepest = max(deepest, level)
        elif byte in CLOSERS:
            level -= 1
    return deepest


def load_json(raw: bytes, max_bytes: int = MAX_BODY_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """The parsed body; `BodyError` for anything too large, too deep or not JSON.
    NaN and Infinity are refused: no client of these protocols sends them."""
    if len(raw) > max_bytes:
        raise BodyError("body too large")
    if depth(raw) > max_depth:
        raise BodyError("body nested too deeply")
    try:
        return json.loads(raw, parse_constant=_no_constants)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BodyError("body is not JSON") from None


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number")

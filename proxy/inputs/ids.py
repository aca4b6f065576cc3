"""Record ids: the proxy's own activation ids are below 2^31; nothing else is an id."""

from __future__ import annotations

from .text import ascii_digits

MAX_ID = 2**31 - 1
MAX_ID_DIGITS = len(str(MAX_ID))


def parse_id(value: object, limit: int = MAX_ID) -> int | None:
    """A positive id within `limit` from an int or a string of ASCII digits, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= limit else None
    if isinstance(value, str):
        digits = ascii_digits(value.strip(), len(str(limit)))
        if digits is not None and 0 < int(digits) <= limit:
            return int(digits)
    return None

"""Record ids: the proxy's own activation ids are below 2^31; nothing else is an id."""

from __future__ import annotations

MAX_ID = 2**31 - 1
MAX_ID_DIGITS = len(str(MAX_ID))


def parse_id(value: object, limit: int = MAX_ID) -> int | None:
    """A positive id within `limit` from an int or a string of ASCII digits, else None."""
    if isinstance(value, str):  # first: every read of a status passes here
        text = value.strip()
        digits = MAX_ID_DIGITS if limit == MAX_ID else len(str(limit))
        if 0 < len(text) <= digits and text.isdigit() and text.isascii():
            number = int(text)
            return number if 0 < number <= limit else None
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= limit else None
    return None

"""Record ids: the proxy's own activation ids are below 2^31; nothing else is an id."""

from __future__ import annotations

MAX_ID = 2**31 - 1
MAX_ID_DIGITS = len(str(MAX_ID))  # longer text is refused before int() reads it


def parse_id(value: object) -> int | None:
    """A positive id up to MAX_ID from an int or a string of ASCII digits, else None."""
    if isinstance(value, str):  # first: every read of a status passes here
        text = value.strip()
        if 0 < len(text) <= MAX_ID_DIGITS and text.isdigit() and text.isascii():
            number = int(text)
            return number if 0 < number <= MAX_ID else None
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 < value <= MAX_ID else None
    return None

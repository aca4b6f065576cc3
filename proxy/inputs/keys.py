"""API keys: visible ASCII of bounded length, or no key at all.

A key is checked before anything is done with it: a key with a CR/LF or a non-ASCII
character could not be sent upstream as a header anyway, and one of any length would
cost memory in every per-key table.
"""

from __future__ import annotations

from proxy.inputs.text import printable

MAX_KEY_LENGTH = 256


def clean_key(value: object) -> str | None:
    """The key, trimmed, when it could be a key; None when it cannot."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if printable(value, MAX_KEY_LENGTH) else None

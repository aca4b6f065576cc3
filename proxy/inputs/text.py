"""Plain text: ASCII digits only (`"²".isdigit()` is true), printable ASCII only."""

from __future__ import annotations


def ascii_digits(value: object, max_length: int) -> str | None:
    """`value` when it is 1..max_length ASCII digits, else None."""
    if not isinstance(value, str) or not 0 < len(value) <= max_length:
        return None
    return value if value.isascii() and value.isdigit() else None


def printable(value: str, max_length: int) -> bool:
    """Visible ASCII only: no spaces, no control characters (CR/LF), nothing else."""
    return 0 < len(value) <= max_length and all("!" <= ch <= "~" for ch in value)

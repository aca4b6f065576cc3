"""Reading request fields the way the vendor's framework does: lenient, never crashing."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from .texts import VendorError

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


def invalid(field: str, kind: str) -> VendorError:
    # decided: the vendor document shows no validation texts beyond "... is not presented"
    return VendorError(400, f"{field} must be {kind}")


def text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise invalid(name, "a string")
    value = str(value).strip()
    return value or None


def boolean(body: dict[str, Any], name: str, default: bool = False) -> bool:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise invalid(name, "a boolean")


def decimal(body: dict[str, Any], name: str) -> Decimal | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise invalid(name, "a number")
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise invalid(name, "a number") from None
    if not result.is_finite():
        raise invalid(name, "a number")
    return result


def integer(value: Any) -> int | None:
    """An id from JSON or a path: an int, or a string of digits; anything else is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def area_codes(value: Any) -> list[str]:
    """Comma-separated string or JSON array; items that are not 3 digits are dropped."""
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    codes = [str(i).strip() for i in items]
    return [c for c in codes if len(c) == 3 and c.isdigit()]


def service_list(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    names: list[str] = []
    for item in items:
        name = str(item).strip()
        if name and name not in names:
            names.append(name)
    return names

"""Vendor order ids carried in the core's integer `upstream_id`, both ways without loss.

A decimal id (5sim, OnlineSIM, the handler_api families) is itself. A code (SMSPool's
eight-letter order codes, `PCMOWTUP`) of up to ten characters of `[0-9A-Za-z_-]` is
packed, in bijective base 64, into a negative number: the sign says "a code", and the
bijective digits keep leading zeros (`0A` and `A` differ). Anything longer cannot be
carried this way: a vendor with such ids (TextVerified) names each by `hashed`, a
stable number below -2**62 (packed codes stay above it), and finds the id again in its
own listing when this process has not seen it.
"""

from __future__ import annotations

import hashlib

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-"
BASE = len(ALPHABET)  # bijective: digit values 1..64, no zero digit
LONGEST = 10  # 64**10 * 64/63 < 2**63: the id fits a signed 64-bit column
_VALUE = {ch: i + 1 for i, ch in enumerate(ALPHABET)}


def to_upstream_id(vendor_id: object) -> int:
    """The core's id for a vendor's; ValueError when the id cannot be carried."""
    text = str(vendor_id).strip()
    if text.isascii() and text.isdigit() and (text == "0" or not text.startswith("0")):
        number = int(text)
        if number < 2**63:
            return number
    if not 0 < len(text) <= LONGEST or any(ch not in _VALUE for ch in text):
        raise ValueError(f"an order id of {len(text)} characters cannot be carried")
    packed = 0
    for ch in text:
        packed = packed * BASE + _VALUE[ch]
    return -packed


def to_vendor_id(upstream_id: int) -> str:
    """The vendor's id, as it gave it."""
    if upstream_id >= 0:
        return str(upstream_id)
    packed, chars = -upstream_id, []
    while packed:
        packed, digit = divmod(packed - 1, BASE)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


HASHED_BELOW = -(2**62)  # packed codes are above it (64**10 * 64/63 < 2**62)


def hashed(vendor_id: str) -> int:
    """A stable number for an id too long to pack (62 bits of its BLAKE2b digest)."""
    digest = hashlib.blake2b(vendor_id.encode(), digest_size=8).digest()
    return HASHED_BELOW - int.from_bytes(digest, "big") % 2**62


def is_hashed(upstream_id: int) -> bool:
    return upstream_id <= HASHED_BELOW

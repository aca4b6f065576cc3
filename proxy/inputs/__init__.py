"""Wire values checked once, for every dialect: one module per kind of value.

Each function takes what a client sent (any type, any length, any characters) and gives
back a clean value or None; nothing here raises on bad input, so a dialect can always
answer in its own protocol. Standard library only.
"""

from proxy.inputs.bodies import BodyError, load_json
from proxy.inputs.ids import MAX_ID, parse_id
from proxy.inputs.keys import MAX_KEY_LENGTH, clean_key
from proxy.inputs.numbers import MAX_PRICE, parse_price
from proxy.inputs.text import ascii_digits, printable

__all__ = [
    "MAX_ID",
    "MAX_KEY_LENGTH",
    "MAX_PRICE",
    "BodyError",
    "ascii_digits",
    "clean_key",
    "load_json",
    "parse_id",
    "parse_price",
    "printable",
]

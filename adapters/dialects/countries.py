"""One country table for every dialect: the core speaks ISO 3166 alpha-2; each dialect's
own code for a country (SMS-Activate ids, 5sim slugs, SMSPool ids, OnlineSIM phone codes)
is a column here, and numbers are shown with the country's calling code.

A country a configured provider sells is bought by any dialect's code for it; the
others answer each dialect's no-numbers (docs/routing.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Country:
    iso: str
    name: str  # in English, as listings show it
    calling_code: str  # without the +
    sms_activate: int
    fivesim: str
    smspool: int | None = None  # SMSPool's own id, where its clients are seen to use one
    sms_activate_name: str = ""  # SMS-Activate's `countryName`, where it differs from `name`
    russian: str = ""  # the Russian name SMS-Activate and 5sim listings carry
    chinese: str = ""

    @property
    def short_name(self) -> str:
        return self.sms_activate_name or self.name


TABLE: tuple[Country, ...] = (
    Country("us", "United States", "1", 187, "usa", 1, "USA", "США", "美国"),
    Country("gb", "United Kingdom", "44", 16, "england", 2),
    Country("ca", "Canada", "1", 36, "canada"),
    Country("de", "Germany", "49", 43, "germany"),
    Country("fr", "France", "33", 78, "france"),
    Country("ru", "Russia", "7", 0, "russia"),
    Country("ua", "Ukraine", "380", 1, "ukraine"),
    Country("kz", "Kazakhstan", "7", 2, "kazakhstan"),
    Country("id", "Indonesia", "62", 6, "indonesia"),
    Country("in", "India", "91", 22, "india"),
)
BY_ISO: Mapping[str, Country] = {c.iso: c for c in TABLE}
BY_SMS_ACTIVATE: Mapping[str, str] = {str(c.sms_activate): c.iso for c in TABLE}
BY_FIVESIM: Mapping[str, str] = {c.fivesim: c.iso for c in TABLE} | {"any": "us"}
# a calling code some countries share goes to the first of them (1: the USA, 7: Russia)
BY_CALLING_CODE: Mapping[str, str] = {
    code: next(c.iso for c in TABLE if c.calling_code == code)
    for code in dict.fromkeys(c.calling_code for c in TABLE)
}
BY_SMSPOOL: Mapping[str, str] = {
    **{str(c.smspool): c.iso for c in TABLE if c.smspool is not None},
    **{c.name.lower(): c.iso for c in TABLE},
    **{c.iso: c.iso for c in TABLE},
    "usa": "us",
}


class Located(Protocol):
    """A rented number and its country (an activation, a long rental)."""

    @property
    def country(self) -> str: ...

    @property
    def number(self) -> str: ...


def of(activation: Located) -> Country:
    return BY_ISO.get(activation.country, TABLE[0])


def international(activation: Located) -> str:
    """The number with its calling code, no +: `12125550100`."""
    return of(activation).calling_code + activation.number


def sold(isos: list[str]) -> list[Country]:
    """The table's rows for these countries, in its order (unknown codes left out)."""
    wanted = set(isos)
    return [c for c in TABLE if c.iso in wanted]

"""SMS-Activate service codes <-> Getatext api_names, and the countries served. Data only."""

from __future__ import annotations

import re
from collections.abc import Mapping

from . import countries

# SMS-Activate code -> the vendor's api_name (docs/vendor/sms-activate-protocol.md §8.1).
SERVICE_CODES: dict[str, str] = {
    "wa": "whatsapp",
    "tg": "telegram",
    "ig": "instagram",
    "go": "google",
    "fb": "facebook",
    "tw": "twitter",
    "ds": "discord",
    "lf": "tiktok",
    "ub": "uber",
    "am": "amazon",
    "mm": "microsoft",
    "ts": "paypal",
    "fu": "snapchat",
    "mb": "yahoo",
    "pm": "aol",
    "wx": "apple",
    "dr": "openai",
    "nf": "netflix",
    "oi": "tinder",
    "mo": "bumble",
    "vz": "hinge",
    "tn": "linkedin",
    "gf": "googlevoice",
    "vi": "viber",
    "wb": "wechat",
    "mt": "steam",
    "hb": "twitch",
    "tu": "lyft",
    "ac": "doordash",
    "dh": "ebay",
    "re": "coinbase",
    "ij": "revolut",
    "yy": "venmo",
    "it": "cashapp",
    "uk": "airbnb",
    "wc": "craigslist",
    "zm": "offerup",
    "ot": "generic",
}

USA = 187
USA_ALIASES = frozenset({"", "187", "any", "all", "12"})  # D1: 12 is "USA (virtual)"
# SMS-Activate country ids -> ISO 3166: adapters/dialects/countries.py (one table)
SA_COUNTRIES: Mapping[str, str] = countries.BY_SMS_ACTIVATE

# SMS-Activate operator names -> vendor carriers (D6)
OPERATORS: dict[str, str] = {
    "att": "at&t",
    "at&t": "at&t",
    "tmobile": "tmobile",
    "t-mobile": "tmobile",
    "verizon": "verizon",
}
OPERATOR_NAMES = ("att", "tmobile", "verizon")

COUNTRIES = {
    str(USA): {
        "id": USA,
        "rus": "США",
        "eng": "USA",
        "chn": "美国",
        "visible": 1,
        "retry": 1,
        "rent": 0,
        "multiService": 1,
    },
}

_API_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,40}$")


class Vocabulary:
    """The code table, extendable from configuration."""

    def __init__(self, extra: Mapping[str, str] | None = None) -> None:
        self.to_api: dict[str, str] = {**SERVICE_CODES, **(extra or {})}
        self.to_code: dict[str, str] = {api: code for code, api in (extra or {}).items()}
        for code, api_name in SERVICE_CODES.items():
            self.to_code.setdefault(api_name, code)  # configured codes win

    def api_name(self, service: str | None) -> str | None:
        """A code, or an api_name sent verbatim; None when it cannot be a service."""
        if not service:
            return None
        name = service.strip().lower()
        if name in self.to_api:
            return self.to_api[name]
        return name if _API_NAME.match(name) else None

    def code(self, api_name: str) -> str:
        return self.to_code.get(api_name, api_name)


# -- 5sim (docs/vendor/5sim-protocol.md §7, decisions F1, F2, F10) ----------------------
# 5sim country slugs -> ISO 3166 (countries.py)
FIVESIM_ISO: Mapping[str, str] = countries.BY_FIVESIM
FIVESIM_COUNTRIES = frozenset(
    """
any afghanistan albania algeria angola anguilla antiguaandbarbuda argentina armenia aruba
australia austria azerbaijan bahamas bahrain bangladesh barbados belarus belgium belize
benin bhutane bih bolivia botswana brazil bulgaria burkinafaso burundi cambodia cameroon
canada capeverde caymanislands chad chile china colombia comoros congo costarica croatia
cyprus czech djibouti dominica dominicana easttimor ecuador egypt england equatorialguinea
eritrea estonia ethiopia finland france frenchguiana gabon gambia georgia germany ghana
greece grenada guadeloupe guatemala guinea guineabissau guyana haiti honduras hongkong
hungary india indonesia ireland israel italy ivorycoast jamaica japan jordan kazakhstan
kenya kuwait kyrgyzstan laos latvia lesotho liberia lithuania luxembourg macau madagascar
malawi malaysia maldives mauritania mauritius mexico moldova mongolia montenegro
montserrat morocco mozambique myanmar namibia nepal netherlands newcaledonia newzealand
nicaragua niger nigeria northmacedonia norway oman pakistan panama papuanewguinea paraguay
peru philippines poland portugal puertorico reunion romania russia rwanda
saintkittsandnevis saintlucia saintvincentandgrenadines salvador samoa saotomeandprincipe
saudiarabia senegal serbia seychelles sierraleone singapore slovakia slovenia
solomonislands southafrica spain srilanka suriname swaziland sweden switzerland taiwan
tajikistan tanzania thailand tit togo tonga tunisia turkey turkmenistan turksandcaicos
uganda ukraine uruguay usa uzbekistan venezuela vietnam virginislands zambia zimbabwe
""".split()  # noqa: SIM905 -- a list of 170 slugs reads better as text
)
# 5sim operator slug -> vendor carrier (None: no preference)
FIVESIM_OPERATORS: dict[str, str | None] = {
    "any": None,
    "tmobile": "tmobile",
    "att": "at&t",
    "at&t": "at&t",
    "verizon": "verizon",
}
FIVESIM_OPERATOR_NAMES = ("tmobile", "att", "verizon")
# the vendor's carrier -> the 5sim operator an order shows (F16)
FIVESIM_OPERATOR_OF: dict[str, str] = {"tmobile": "tmobile", "at&t": "att", "verizon": "verizon"}
# 5sim product slug <-> vendor api_name where they differ (identity otherwise)
FIVESIM_PRODUCTS: dict[str, str] = {"hotmail": "microsoft", "other": "generic"}
FIVESIM_SLUGS: dict[str, str] = {"generic": "other"}


def fivesim_operator(slug: str) -> tuple[bool, str | None]:
    """(known, carrier). `virtual…` pools are treated as `any`."""
    slug = slug.strip().lower()
    if slug.startswith("virtual"):
        return True, None
    if slug in FIVESIM_OPERATORS:
        return True, FIVESIM_OPERATORS[slug]
    return False, None


def fivesim_api_name(product: str) -> str | None:
    product = product.strip().lower()
    name = FIVESIM_PRODUCTS.get(product, product)
    return name if _API_NAME.match(name) else None


def fivesim_slug(api_name: str) -> str:
    return FIVESIM_SLUGS.get(api_name, api_name)

"""SMS-Activate service codes <-> Getatext api_names, and the countries served. Data only."""

from __future__ import annotations

import re
from collections.abc import Mapping

# SMS-Activate code -> the vendor's api_name (protocols/sms-activate.md §8.1).
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

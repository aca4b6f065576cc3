"""Keys become tenants: the key stays in memory, the store sees only its keyed fingerprint."""

from __future__ import annotations

import hashlib
import hmac

from ..domain import Tenant
from ..errors import MissingKey


class Identity:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def fingerprint(self, api_key: str) -> str:
        return hmac.new(self._secret, api_key.encode(), hashlib.sha256).hexdigest()[:32]

    def tenant(self, api_key: str | None) -> Tenant:
        if not api_key:
            raise MissingKey()
        return Tenant(api_key=api_key, owner=self.fingerprint(api_key))

"""Keys become tenants: the key stays in memory, the store sees only its keyed fingerprint."""

from __future__ import annotations

import hashlib
import hmac

from ..domain import Tenant
from ..errors import BadKey, MissingKey
from ..inputs import clean_key


class Identity:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def fingerprint(self, api_key: str) -> str:
        return hmac.new(self._secret, api_key.encode(), hashlib.sha256).hexdigest()[:32]

    def tenant(self, api_key: str | None) -> Tenant:
        """Checked before anything else happens: a key that could not be sent upstream
        (control characters, non-ASCII, absurd length) is a bad key, not a vendor call."""
        if not api_key or not api_key.strip():
            raise MissingKey()
        key = clean_key(api_key)
        if key is None:
            raise BadKey()
        return Tenant(api_key=key, owner=self.fingerprint(key))

"""South side: one package per vendor kind behind `proxy.ports.Provider`."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from proxy.domain import Timeouts
from proxy.ports import Provider

from .getatext import GetatextProvider

ProviderFactory = Callable[[str, httpx.AsyncClient, Timeouts], Provider]

# The one list of vendor kinds: kind -> factory(base_url, shared client, timeouts).
KINDS: dict[str, ProviderFactory] = {
    "getatext": GetatextProvider,
}

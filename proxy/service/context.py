"""What every use case needs: the ports, the clock and the settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..ports import ActivationStore, Clock, Provider


@dataclass(frozen=True)
class ServiceSettings:
    cancel_lock_seconds: float = 60.0  # the vendor refuses cancels in the first minute
    poll_interval_seconds: float = 1.0  # at most one upstream status call per activation
    offers_ttl_seconds: float = 60.0


@dataclass
class Context:
    provider: Provider
    store: ActivationStore
    clock: Clock
    settings: ServiceSettings = field(default_factory=ServiceSettings)

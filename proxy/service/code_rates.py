"""How often each provider's numbers actually receive their code, per service: the
proxy's own outcomes (a code arrived, against cancelled or ended without one), not a
vendor's published figure.

Each outcome moves the estimate a step towards 1 or 0 (an exponentially weighted share,
so a provider whose codes stop arriving, or start again, shows it within a few
purchases); a (provider, service) never seen starts at the prior, an optimistic share,
so a newcomer is tried. Kept in memory per process: a restart starts from the prior.
"""

from __future__ import annotations

from proxy.domain import Activation
from proxy.service.transitions import ended_unused

PRIOR = 0.9  # what a provider is assumed to deliver before its first outcome
STEP = 0.25  # the weight of each new outcome (half of the memory is in ~2.4 outcomes)
MAX_SERIES = 500  # (provider, service) pairs kept, at most


class CodeRates:
    def __init__(self, prior: float = PRIOR, step: float = STEP) -> None:
        self._prior = prior
        self._step = step
        self._rates: dict[tuple[str, str], float] = {}
        self._samples: dict[tuple[str, str], int] = {}

    def record(self, provider: str, service: str, delivered: bool) -> None:
        key = (provider, service)
        if key not in self._rates and len(self._rates) >= MAX_SERIES:
            return  # a bounded table: an unforeseen flood of services is not tracked
        before = self._rates.get(key, self._prior)
        self._rates[key] = before + self._step * ((1.0 if delivered else 0.0) - before)
        self._samples[key] = self._samples.get(key, 0) + 1

    def rate(self, provider: str, service: str) -> float:
        return self._rates.get((provider, service), self._prior)

    def samples(self, provider: str, service: str) -> int:
        return self._samples.get((provider, service), 0)

    def snapshot(self) -> dict[tuple[str, str], float]:
        return dict(self._rates)

    async def on_change(self, before: Activation, after: Activation) -> None:
        """A follow-up of every saved change: its first code, or its end without one."""
        if not before.status.is_open:
            return
        if before.code is None and after.code is not None:
            self.record(after.provider, after.service, True)
        elif ended_unused(after):
            self.record(after.provider, after.service, False)

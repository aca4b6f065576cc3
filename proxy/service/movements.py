"""The money the proxy moved, or saw move, on each vendor account: a purchase's price out,
a refund in. The balance rule of reconciliation (reconcile.py) reads it: a purchase whose
outcome is unknown was never charged when the balance now equals the witnessed balance
before it plus every movement since, so a cancel's refund at the same time no longer hides
a void purchase.

Kept in memory for the purchase hold window: after a restart, or where another process
moved the money, the sum is incomplete and the rule cannot decide (the purchase stays
unknown, found by the id search or voided when the hold passes): it errs towards not
buying, never towards buying twice.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from decimal import Decimal

from proxy.domain import Activation
from proxy.service.transitions import ended_unused

PER_ACCOUNT = 10_000  # movements kept per account, at most


class Movements:
    def __init__(
        self,
        now: Callable[[], float],
        window: float,
        account_of: Callable[[str, str], str],
        refunds_unused: Callable[[str], bool],
    ) -> None:
        """`account_of(provider, owner)`: the name of the vendor account an owner's
        rentals at a provider are on; `refunds_unused(provider)`: the vendor's rule."""
        self._now = now
        self._window = window
        self._account_of = account_of
        self._refunds_unused = refunds_unused
        self._moved: dict[str, deque[tuple[float, Decimal]]] = {}

    def moved(self, account: str, amount: Decimal) -> None:
        """`amount` left (negative) or reached (positive) the account now."""
        now = self._now()
        kept = self._moved.setdefault(account, deque(maxlen=PER_ACCOUNT))
        kept.append((now, amount))
        while kept and kept[0][0] < now - self._window:
            kept.popleft()

    def moved_at(self, provider: str, owner: str, amount: Decimal) -> None:
        """`moved`, on the account an owner's rentals at `provider` are on."""
        self.moved(self._account_of(provider, owner), amount)

    def bought(self, activation: Activation) -> None:
        self.moved_at(activation.provider, activation.owner, -activation.cost)

    def since(self, account: str, at: float) -> Decimal:
        """The sum of what moved on the account from `at` on."""
        return sum((a for t, a in self._moved.get(account, ()) if t >= at), Decimal(0))

    async def on_change(self, before: Activation, after: Activation) -> None:
        """A follow-up of every saved change: a rental that ended without a code is
        refunded where the vendor refunds unused rentals."""
        ended = before.status.is_open and ended_unused(after)
        if ended and self._refunds_unused(after.provider):
            self.moved_at(after.provider, after.owner, after.cost)

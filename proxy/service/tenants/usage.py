"""What issued tenants spent, from the ledger: totals per tenant, and the check of the
ledger against the vendor's own word on its balance."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from proxy.domain import LedgerEntry, LedgerReason

R = LedgerReason


@dataclass
class Usage:
    tenant: str
    purchases: int = 0
    charged: Decimal = Decimal(0)
    refunds: int = 0
    refunded: Decimal = Decimal(0)  # positive: what came back
    adjusted: Decimal = Decimal(0)
    held: Decimal = Decimal(0)  # reservations not yet released

    @property
    def net(self) -> Decimal:
        return self.charged - self.refunded + self.adjusted


def usage(entries: Iterable[LedgerEntry]) -> list[Usage]:
    """Totals per tenant, by name."""
    found: dict[str, Usage] = {}
    for e in entries:
        u = found.setdefault(e.tenant, Usage(e.tenant))
        if e.reason is R.CHARGE:
            u.purchases += 1
            u.charged += e.amount
        elif e.reason is R.REFUND:
            u.refunds += 1
            u.refunded -= e.amount
        elif e.reason is R.ADJUST:
            u.adjusted += e.amount
        else:  # a reservation and its release
            u.held += e.amount
    return [found[name] for name in sorted(found)]


@dataclass
class Drift:
    """Between two purchases whose answers gave the vendor's balance after them: how far
    the balance moved, and how far the ledger says it should have."""

    provider: str
    from_entry: int
    to_entry: int
    vendor_moved: Decimal  # balance before less balance after: what the vendor took
    ledger_moved: Decimal  # charges less refunds between them

    @property
    def drift(self) -> Decimal:
        return self.vendor_moved - self.ledger_moved


@dataclass
class Check:
    intervals: int = 0  # checked intervals
    drifts: list[Drift] = field(default_factory=list)  # those that did not agree

    @property
    def total(self) -> Decimal:
        return sum((d.drift for d in self.drifts), Decimal(0))


def check(entries: Sequence[LedgerEntry]) -> Check:
    """Per provider, each pair of charges with a vendor balance after them: the charges
    and refunds in between (the second charge included) must be what the balance moved.
    It holds when only issued tenants use the provider's account; a refund the proxy
    learnt of later than the vendor made it shows as drift in one interval and its
    opposite in the next."""
    result = Check()
    last: dict[str, tuple[LedgerEntry, Decimal]] = {}  # provider -> (entry, moved since)
    for e in entries:
        if not e.reason.spend or e.reason is R.ADJUST:
            continue
        seen = last.get(e.provider)
        moved = (seen[1] if seen else Decimal(0)) + e.amount
        if e.reason is R.CHARGE and e.balance_after is not None:
            if seen is not None and seen[0].balance_after is not None:
                result.intervals += 1
                vendor = seen[0].balance_after - e.balance_after
                if vendor != moved:
                    result.drifts.append(Drift(e.provider, seen[0].id, e.id, vendor, moved))
            last[e.provider] = (e, Decimal(0))
        elif seen is not None:
            last[e.provider] = (seen[0], moved)
    return result

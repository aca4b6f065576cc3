"""An in-memory store: for tests and throwaway runs. One class per aggregate, composed
by `MemoryStore`, the unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from proxy.domain import (
    Activation,
    Delivery,
    LedgerEntry,
    LedgerReason,
    LongRental,
    ManagedKey,
    Purchase,
    PurchaseState,
    TenantPolicy,
)
from proxy.store.rows import LONG_FIRST_ID

ONCE = (LedgerReason.CHARGE, LedgerReason.REFUND)


class MemoryActivations:
    """Activations and, per owner, order references and max prices."""

    def __init__(self, first_id: int) -> None:
        self._next = first_id
        self._rows: dict[int, Activation] = {}
        self._max_prices: dict[str, dict[str, Decimal]] = {}
        self._order_refs: set[tuple[str, str]] = set()
        self.by_upstream_ids: dict[tuple[str, int], int] = {}  # the newest holder of each id

    async def add(self, activation: Activation) -> Activation:
        stored = replace(activation, id=self._next)
        self._next += 1
        self._rows[stored.id] = stored
        self.by_upstream_ids[(stored.provider, stored.upstream_id)] = stored.id
        return stored

    def peek(self, activation_id: int) -> Activation | None:
        return self._rows.get(activation_id)

    async def get(self, activation_id: int) -> Activation | None:
        return self._rows.get(activation_id)

    async def put(self, activation: Activation) -> None:
        self._rows[activation.id] = activation

    async def open_for(self, owner: str) -> list[Activation]:
        return [a for a in self._rows.values() if a.owner == owner and a.status.is_open]

    async def open_ended(
        self, owners: Sequence[str], before: float, limit: int
    ) -> list[Activation]:
        wanted = set(owners)
        found = [
            a
            for a in self._rows.values()
            if a.owner in wanted and a.status.is_open and a.end_time <= before
        ]
        return sorted(found, key=lambda a: a.end_time)[:limit]

    async def by_upstream(self, provider: str, upstream_id: int) -> Activation | None:
        found = self.by_upstream_ids.get((provider, upstream_id))
        return None if found is None else self._rows[found]

    async def counts(self) -> dict[str, int]:
        result: dict[str, int] = {}
        for a in self._rows.values():
            result[a.status.value] = result.get(a.status.value, 0) + 1
        return result

    async def history(
        self, owner: str, limit: int, offset: int, newest_first: bool
    ) -> tuple[list[Activation], int]:
        mine = sorted(
            (a for a in self._rows.values() if a.owner == owner),
            key=lambda a: a.id,
            reverse=newest_first,
        )
        return mine[offset : offset + limit], len(mine)

    async def last_on_number(self, owner: str, number: str, service: str) -> Activation | None:
        found = [
            a
            for a in self._rows.values()
            if a.owner == owner and a.number == number and a.service == service
        ]
        return max(found, key=lambda a: a.id) if found else None

    async def claim_order_ref(self, owner: str, ref: str) -> bool:
        if (owner, ref) in self._order_refs:
            return False
        self._order_refs.add((owner, ref))
        return True

    async def release_order_ref(self, owner: str, ref: str) -> None:
        self._order_refs.discard((owner, ref))

    async def max_prices(self, owner: str) -> dict[str, Decimal]:
        return dict(self._max_prices.get(owner, {}))

    async def set_max_price(self, owner: str, service: str, price: Decimal) -> None:
        self._max_prices.setdefault(owner, {})[service] = price

    async def delete_max_price(self, owner: str, service: str) -> bool:
        return self._max_prices.get(owner, {}).pop(service, None) is not None


class MemoryJournal:
    """The purchase journal."""

    def __init__(self, activations: MemoryActivations) -> None:
        self._purchases: dict[int, Purchase] = {}
        self._activations = activations  # where reading ids back starts

    async def add(self, purchase: Purchase) -> Purchase:
        stored = purchase.evolve(id=len(self._purchases) + 1)
        self._purchases[stored.id] = stored
        return stored

    async def put(self, purchase: Purchase) -> None:
        self._purchases[purchase.id] = purchase

    async def get(self, purchase_id: int) -> Purchase | None:
        return self._purchases.get(purchase_id)

    async def newest(
        self, state: PurchaseState | None = None, owner: str | None = None, limit: int = 100
    ) -> list[Purchase]:
        found = [
            p
            for p in reversed(self._purchases.values())
            if (state is None or p.state is state) and (owner is None or p.owner == owner)
        ]
        return found[:limit]

    async def counts(self) -> dict[str, int]:
        result: dict[str, int] = {}
        for p in self._purchases.values():
            result[p.state.value] = result.get(p.state.value, 0) + 1
        return result

    async def max_upstream_id(self, provider: str) -> int:
        held = [u for (p, u) in self._activations.by_upstream_ids if p == provider]
        return max(held, default=0)


class MemoryLedger:
    """The ledger: every method runs without an await inside, so each is atomic."""

    def __init__(self) -> None:
        self._ledger: list[LedgerEntry] = []
        self._holds: dict[int, LedgerEntry] = {}  # purchase id -> its reservation

    def _append(self, entry: LedgerEntry) -> bool:
        if (
            entry.activation_id is not None
            and entry.reason in ONCE
            and any(
                e.activation_id == entry.activation_id and e.reason is entry.reason
                for e in self._ledger
            )
        ):
            return False
        self._ledger.append(replace(entry, id=len(self._ledger) + 1))
        return True

    def _held(self, tenant: str, lapse_before: float) -> Decimal:
        return sum(
            (h.amount for h in self._holds.values() if h.tenant == tenant and h.at >= lapse_before),
            Decimal(0),
        )

    def _spent(self, tenant: str, since: float) -> Decimal:
        return sum(
            (
                e.amount
                for e in self._ledger
                if e.tenant == tenant and e.at >= since and e.reason.spend
            ),
            Decimal(0),
        )

    async def hold(
        self, entry: LedgerEntry, limits: Sequence[tuple[float, Decimal]], lapse_before: float
    ) -> bool:
        held = self._held(entry.tenant, lapse_before)
        for since, limit in limits:
            if self._spent(entry.tenant, since) + held + entry.amount > limit:
                return False
        assert entry.purchase_id is not None
        self._holds[entry.purchase_id] = entry
        self._append(entry)
        return True

    async def release(self, template: LedgerEntry) -> bool:
        assert template.purchase_id is not None
        hold = self._holds.pop(template.purchase_id, None)
        if hold is None:
            return False
        self._append(replace(template, amount=-hold.amount))
        return True

    async def add(self, entry: LedgerEntry) -> bool:
        return self._append(entry)

    async def hold_of(self, purchase_id: int) -> LedgerEntry | None:
        return next(
            (
                e
                for e in self._ledger
                if e.purchase_id == purchase_id and e.reason is LedgerReason.RESERVE
            ),
            None,
        )

    async def charge_of(self, activation_id: int) -> LedgerEntry | None:
        return next(
            (
                e
                for e in self._ledger
                if e.activation_id == activation_id and e.reason is LedgerReason.CHARGE
            ),
            None,
        )

    async def entries(
        self, tenant: str | None = None, since: float | None = None, limit: int = 100_000
    ) -> list[LedgerEntry]:
        found = [
            e
            for e in self._ledger
            if (tenant is None or e.tenant == tenant) and (since is None or e.at >= since)
        ]
        return found[:limit]

    async def spent(self, tenant: str, since: float) -> Decimal:
        return self._spent(tenant, since)

    async def held(self, tenant: str, lapse_before: float) -> Decimal:
        return self._held(tenant, lapse_before)


class MemoryOutbox:
    """The webhook outbox."""

    def __init__(self) -> None:
        self._outbox: dict[int, Delivery] = {}

    async def add(self, delivery: Delivery, bound: int) -> tuple[Delivery | None, int]:
        if any(
            d.activation_id == delivery.activation_id and d.code == delivery.code
            for d in self._outbox.values()
        ):
            return None, 0
        added = delivery.evolve(id=len(self._outbox) + 1)
        self._outbox[added.id] = added
        pending = [
            d for d in self._outbox.values() if d.tenant == delivery.tenant and d.state == "pending"
        ]
        over = pending[: max(0, len(pending) - bound)]
        for d in over:
            self._outbox[d.id] = d.evolve(state="failed", last_error="outbox full")
        return added, len(over)

    async def due(self, now: float, limit: int) -> list[Delivery]:
        due = [d for d in self._outbox.values() if d.state == "pending" and d.next_at <= now]
        return sorted(due, key=lambda d: (d.next_at, d.id))[:limit]

    async def put(self, delivery: Delivery) -> None:
        self._outbox[delivery.id] = delivery

    async def newest(self, tenant: str | None = None, limit: int = 100) -> list[Delivery]:
        found = [d for d in reversed(self._outbox.values()) if tenant in (None, d.tenant)]
        return found[:limit]

    async def counts(self) -> dict[str, int]:
        result: dict[str, int] = {}
        for d in self._outbox.values():
            result[d.state] = result.get(d.state, 0) + 1
        return result


class MemoryLongRentals:
    """Long rentals."""

    def __init__(self) -> None:
        self._long: dict[int, LongRental] = {}
        self._next_long = LONG_FIRST_ID

    async def add(self, rental: LongRental) -> LongRental:
        stored = rental.evolve(id=self._next_long)
        self._next_long += 1
        self._long[stored.id] = stored
        return stored

    async def get(self, rental_id: int) -> LongRental | None:
        return self._long.get(rental_id)

    async def put(self, rental: LongRental) -> None:
        self._long[rental.id] = rental

    async def for_owner(self, owner: str) -> list[LongRental]:
        return sorted((r for r in self._long.values() if r.owner == owner), key=lambda r: -r.id)

    async def by_upstream(self, provider: str, upstream_id: int) -> LongRental | None:
        found = [
            r for r in self._long.values() if (r.provider, r.upstream_id) == (provider, upstream_id)
        ]
        return max(found, key=lambda r: r.id) if found else None

    async def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for rental in self._long.values():
            counts[rental.state.value] = counts.get(rental.state.value, 0) + 1
        return counts


class MemoryTenants:
    """Issued keys and tenants' policies."""

    def __init__(self) -> None:
        self._keys: dict[str, ManagedKey] = {}
        self._policies: dict[str, TenantPolicy] = {}

    async def add_key(self, key: ManagedKey) -> None:
        if key.id in self._keys or any(
            k.fingerprint == key.fingerprint for k in self._keys.values()
        ):
            raise ValueError("a key with this id or fingerprint exists")
        self._keys[key.id] = key

    async def put_key(self, key: ManagedKey) -> None:
        self._keys[key.id] = key

    async def keys(self) -> list[ManagedKey]:
        return sorted(self._keys.values(), key=lambda k: (k.created_at, k.id))

    async def put_policy(self, policy: TenantPolicy) -> None:
        self._policies[policy.tenant] = policy

    async def policies(self) -> dict[str, TenantPolicy]:
        return dict(self._policies)


class MemoryStore:
    def __init__(self, first_id: int = 100_000) -> None:
        self.activations = MemoryActivations(first_id)
        self.journal = MemoryJournal(self.activations)
        self.ledger = MemoryLedger()
        self.outbox = MemoryOutbox()
        self.long_rentals = MemoryLongRentals()
        self.tenants = MemoryTenants()

    async def close(self) -> None:
        return None

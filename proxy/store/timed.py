"""A store wrapper that reports each operation's latency to an observer (a read a store
answers from memory, `peek`, is not an operation and is not timed)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from decimal import Decimal

from proxy.domain import (
    Activation,
    Delivery,
    LedgerEntry,
    LongRental,
    ManagedKey,
    Purchase,
    PurchaseState,
    TenantPolicy,
)
from proxy.ports import ActivationStore, Observer


class TimedStore:
    def __init__(self, inner: ActivationStore, observer: Observer) -> None:
        self._inner = inner
        self._observer = observer
        self.peek = inner.peek  # from memory: no operation to time

    def _done(self, operation: str, started: float) -> None:
        self._observer.store_op(operation, time.perf_counter() - started)

    async def add(self, activation: Activation) -> Activation:
        started = time.perf_counter()
        try:
            return await self._inner.add(activation)
        finally:
            self._done("add", started)

    async def get(self, activation_id: int) -> Activation | None:
        held = self.peek(activation_id)
        if held is not None:
            return held  # from memory: nothing reached the store, nothing to time
        started = time.perf_counter()
        try:
            return await self._inner.get(activation_id)
        finally:
            self._done("get", started)

    async def put(self, activation: Activation) -> None:
        started = time.perf_counter()
        try:
            await self._inner.put(activation)
        finally:
            self._done("put", started)

    async def open_for(self, owner: str) -> list[Activation]:
        started = time.perf_counter()
        try:
            return await self._inner.open_for(owner)
        finally:
            self._done("open_for", started)

    async def by_upstream(self, provider: str, upstream_id: int) -> Activation | None:
        started = time.perf_counter()
        try:
            return await self._inner.by_upstream(provider, upstream_id)
        finally:
            self._done("by_upstream", started)

    async def counts(self) -> dict[str, int]:
        started = time.perf_counter()
        try:
            return await self._inner.counts()
        finally:
            self._done("counts", started)

    async def history(
        self, owner: str, limit: int, offset: int, newest_first: bool
    ) -> tuple[list[Activation], int]:
        started = time.perf_counter()
        try:
            return await self._inner.history(owner, limit, offset, newest_first)
        finally:
            self._done("history", started)

    async def last_on_number(self, owner: str, number: str, service: str) -> Activation | None:
        started = time.perf_counter()
        try:
            return await self._inner.last_on_number(owner, number, service)
        finally:
            self._done("last_on_number", started)

    async def claim_order_ref(self, owner: str, ref: str) -> bool:
        return await self._inner.claim_order_ref(owner, ref)

    async def release_order_ref(self, owner: str, ref: str) -> None:
        await self._inner.release_order_ref(owner, ref)

    async def max_prices(self, owner: str) -> dict[str, Decimal]:
        return await self._inner.max_prices(owner)

    async def set_max_price(self, owner: str, service: str, price: Decimal) -> None:
        await self._inner.set_max_price(owner, service, price)

    async def delete_max_price(self, owner: str, service: str) -> bool:
        return await self._inner.delete_max_price(owner, service)

    async def journal_add(self, purchase: Purchase) -> Purchase:
        started = time.perf_counter()
        try:
            return await self._inner.journal_add(purchase)
        finally:
            self._done("journal_add", started)

    async def open_ended(
        self, owners: Sequence[str], before: float, limit: int
    ) -> list[Activation]:
        return await self._inner.open_ended(owners, before, limit)

    async def journal_put(self, purchase: Purchase) -> None:
        started = time.perf_counter()
        try:
            await self._inner.journal_put(purchase)
        finally:
            self._done("journal_put", started)

    async def journal_get(self, purchase_id: int) -> Purchase | None:
        return await self._inner.journal_get(purchase_id)

    async def journal_list(
        self, state: PurchaseState | None = None, owner: str | None = None, limit: int = 100
    ) -> list[Purchase]:
        return await self._inner.journal_list(state, owner, limit)

    async def journal_counts(self) -> dict[str, int]:
        return await self._inner.journal_counts()

    async def key_add(self, key: ManagedKey) -> None:
        await self._inner.key_add(key)

    async def key_put(self, key: ManagedKey) -> None:
        await self._inner.key_put(key)

    async def keys(self) -> list[ManagedKey]:
        return await self._inner.keys()

    async def policy_put(self, policy: TenantPolicy) -> None:
        await self._inner.policy_put(policy)

    async def policies(self) -> dict[str, TenantPolicy]:
        return await self._inner.policies()

    async def ledger_hold(
        self, entry: LedgerEntry, limits: Sequence[tuple[float, Decimal]], lapse_before: float
    ) -> bool:
        started = time.perf_counter()
        try:
            return await self._inner.ledger_hold(entry, limits, lapse_before)
        finally:
            self._done("ledger_hold", started)

    async def ledger_release(self, template: LedgerEntry) -> bool:
        return await self._inner.ledger_release(template)

    async def ledger_add(self, entry: LedgerEntry) -> bool:
        return await self._inner.ledger_add(entry)

    async def ledger_hold_of(self, purchase_id: int) -> LedgerEntry | None:
        return await self._inner.ledger_hold_of(purchase_id)

    async def ledger_charge_of(self, activation_id: int) -> LedgerEntry | None:
        return await self._inner.ledger_charge_of(activation_id)

    async def ledger_entries(
        self, tenant: str | None = None, since: float | None = None, limit: int = 100_000
    ) -> list[LedgerEntry]:
        return await self._inner.ledger_entries(tenant, since, limit)

    async def ledger_spent(self, tenant: str, since: float) -> Decimal:
        return await self._inner.ledger_spent(tenant, since)

    async def ledger_held(self, tenant: str, lapse_before: float) -> Decimal:
        return await self._inner.ledger_held(tenant, lapse_before)

    async def outbox_add(self, delivery: Delivery, bound: int) -> tuple[Delivery | None, int]:
        return await self._inner.outbox_add(delivery, bound)

    async def outbox_due(self, now: float, limit: int) -> list[Delivery]:
        return await self._inner.outbox_due(now, limit)

    async def outbox_put(self, delivery: Delivery) -> None:
        await self._inner.outbox_put(delivery)

    async def outbox_list(self, tenant: str | None = None, limit: int = 100) -> list[Delivery]:
        return await self._inner.outbox_list(tenant, limit)

    async def outbox_counts(self) -> dict[str, int]:
        return await self._inner.outbox_counts()

    async def long_add(self, rental: LongRental) -> LongRental:
        return await self._inner.long_add(rental)

    async def long_get(self, rental_id: int) -> LongRental | None:
        return await self._inner.long_get(rental_id)

    async def long_put(self, rental: LongRental) -> None:
        await self._inner.long_put(rental)

    async def long_for(self, owner: str) -> list[LongRental]:
        return await self._inner.long_for(owner)

    async def long_by_upstream(self, provider: str, upstream_id: int) -> LongRental | None:
        return await self._inner.long_by_upstream(provider, upstream_id)

    async def long_counts(self) -> dict[str, int]:
        return await self._inner.long_counts()

    async def max_upstream_id(self, provider: str) -> int:
        return await self._inner.max_upstream_id(provider)

    async def close(self) -> None:
        await self._inner.close()

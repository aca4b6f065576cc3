"""Store calls timed at one seam: each aggregate's port methods are wrapped once, when
the store is composed, and report their latency to the observer under their label
(`ports.store_operation`). A read a store answers from memory is not an operation and is
not timed: `peek`, and `get` when `peek` holds the activation."""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from proxy.domain import Activation
from proxy.ports import (
    AGGREGATES,
    ActivationStore,
    JournalStore,
    LedgerStore,
    LongRentalStore,
    Observer,
    OutboxStore,
    Store,
    TenantStore,
    port_methods,
    store_operation,
)

T = TypeVar("T")


class _Calls:
    """A port's methods, each one timed."""


def _timing(
    call: Callable[..., Awaitable[Any]], label: str, observer: Observer
) -> Callable[..., Awaitable[Any]]:
    async def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await call(*args, **kwargs)
        finally:
            observer.store_op(label, time.perf_counter() - started)

    return timed


def timed(inner: T, aggregate: str, observer: Observer) -> T:
    """`inner`'s port methods, the asynchronous ones timed."""
    calls = _Calls()
    for name in port_methods(AGGREGATES[aggregate]):
        method = getattr(inner, name)
        if inspect.iscoroutinefunction(method):
            method = _timing(method, store_operation(aggregate, name), observer)
        setattr(calls, name, method)
    return cast(T, calls)


def _peek_first(activations: ActivationStore, observer: Observer) -> ActivationStore:
    calls = timed(activations, "activations", observer)
    peek, read = activations.peek, calls.get

    async def get(activation_id: int) -> Activation | None:
        held = peek(activation_id)
        return held if held is not None else await read(activation_id)

    setattr(calls, "get", get)  # noqa: B010  # the wrapper's own attribute
    return calls


class TimedStore:
    def __init__(self, inner: Store, observer: Observer) -> None:
        self._inner = inner
        self.activations: ActivationStore = _peek_first(inner.activations, observer)
        self.journal: JournalStore = timed(inner.journal, "journal", observer)
        self.ledger: LedgerStore = timed(inner.ledger, "ledger", observer)
        self.outbox: OutboxStore = timed(inner.outbox, "outbox", observer)
        self.long_rentals: LongRentalStore = timed(inner.long_rentals, "long_rentals", observer)
        self.tenants: TenantStore = timed(inner.tenants, "tenants", observer)

    async def close(self) -> None:
        await self._inner.close()

"""A store wrapper that reports each operation's latency to an observer."""

from __future__ import annotations

import time

from ..domain import Activation
from ..ports import ActivationStore, Observer


class TimedStore:
    def __init__(self, inner: ActivationStore, observer: Observer) -> None:
        self._inner = inner
        self._observer = observer

    def _done(self, operation: str, started: float) -> None:
        self._observer.store_op(operation, time.perf_counter() - started)

    async def add(self, activation: Activation) -> Activation:
        started = time.perf_counter()
        try:
            return await self._inner.add(activation)
        finally:
            self._done("add", started)

    async def get(self, activation_id: int) -> Activation | None:
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

    async def close(self) -> None:
        await self._inner.close()

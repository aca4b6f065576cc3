"""An in-memory store: for tests and throwaway runs."""

from __future__ import annotations

from dataclasses import replace

from ..domain import Activation


class MemoryStore:
    def __init__(self, first_id: int = 100_000) -> None:
        self._next = first_id
        self._rows: dict[int, Activation] = {}

    async def add(self, activation: Activation) -> Activation:
        stored = replace(activation, id=self._next)
        self._next += 1
        self._rows[stored.id] = stored
        return stored

    async def get(self, activation_id: int) -> Activation | None:
        return self._rows.get(activation_id)

    async def put(self, activation: Activation) -> None:
        self._rows[activation.id] = activation

    async def open_for(self, owner: str) -> list[Activation]:
        return [a for a in self._rows.values() if a.owner == owner and a.status.is_open]

    async def by_upstream(self, provider: str, upstream_id: int) -> Activation | None:
        for a in self._rows.values():
            if a.provider == provider and a.upstream_id == upstream_id:
                return a
        return None

    async def counts(self) -> dict[str, int]:
        result: dict[str, int] = {}
        for a in self._rows.values():
            result[a.status.value] = result.get(a.status.value, 0) + 1
        return result

    async def close(self) -> None:
        return None

"""What a replica may answer from memory although other replicas write the same rows.

An entry is trusted only while the change feed is live (every change any replica commits
arrives as a notification that drops it), and only if no change of its key was heard
while it was being read: a read takes a ticket before it asks the database, and a value
read under a ticket older than the key's last change (or than the feed's last reconnect)
is not kept. Losing the feed forgets everything; the store is read until it is back.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

from proxy.local.recent import Recent

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Fresh(Generic[K, V]):
    def __init__(self, size: int) -> None:
        self._values: Recent[K, V] = Recent(size)
        self._changed: Recent[K, int] = Recent(size * 2)  # key -> the change it last had
        self._changes = 0  # changes heard, and reconnects, so far: the tickets' clock
        self._floor = 0  # tickets older than this were taken before the feed came back
        self.live = False

    def get(self, key: K) -> V | None:
        return self._values.get(key) if self.live else None

    def ticket(self) -> int:
        """Taken before a read: the value it finds is kept only if nothing changed since."""
        return self._changes

    def offer(self, key: K, value: V, ticket: int) -> None:
        if self.live and ticket >= self._floor and self._changed.get(key, -1) <= ticket:
            self._values[key] = value

    def changed(self, key: K) -> None:
        """Another write of `key` was committed (heard, or made here)."""
        self._changes += 1
        self._changed[key] = self._changes
        self._values.pop(key, None)

    def lost(self) -> None:
        """The feed is gone: changes may go unheard, so nothing is trusted."""
        self.live = False
        self._values.clear()

    def resumed(self) -> None:
        """The feed listens again: reads from now on may be kept."""
        self._changes += 1
        self._floor = self._changes
        self.live = True

    def __len__(self) -> int:
        return len(self._values)

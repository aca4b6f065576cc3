"""Activation stores behind `ports.ActivationStore`."""

from proxy.store.memory import MemoryStore
from proxy.store.sqlite import SqliteStore

FIRST_ID = 100_000
MAX_ID = 2**31 - 1

__all__ = ["FIRST_ID", "MAX_ID", "MemoryStore", "SqliteStore"]

"""The sandbox's world kept in a file, so a restarted demo is the same vendor.

The embedded sandbox plays a vendor that never forgets: accounts, balances, rentals and
the id counter survive a restart, or a proxy that kept its own state would meet rental
ids it already holds. The file is the sandbox's own (pickle), replaced atomically after
each request that reached the vendor's side; an unreadable file is set aside, loudly.
"""

from __future__ import annotations

import logging
import os
import pickle
from pathlib import Path
from typing import Any

from .state import SandboxState

log = logging.getLogger("smsproxy.sandbox")
FORMAT = 1
KEPT = (
    "accounts",
    "services",
    "pool",
    "rentals",
    "long_rentals",
    "service_long_rentals",
    "auctions",
    "_next_id",
)


def save(state: SandboxState, path: Path) -> None:
    snapshot: dict[str, Any] = {name: getattr(state, name) for name in KEPT}
    snapshot["format"] = FORMAT
    snapshot["rng"] = state.rng.getstate()
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        pickle.dump(snapshot, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


def load(state: SandboxState, path: Path) -> bool:
    """Restore the world from `path`; False (and a fresh world) when there is none."""
    if not path.exists():
        return False
    try:
        with path.open("rb") as fh:
            snapshot = pickle.load(fh)
        if snapshot.get("format") != FORMAT:
            raise ValueError(f"format {snapshot.get('format')!r}")
        for name in KEPT:
            setattr(state, name, snapshot[name])
        state.rng.setstate(snapshot["rng"])
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, KeyError, TypeError) as exc:
        aside = path.with_suffix(".unreadable")
        os.replace(path, aside)
        log.error("sandbox state %s unreadable (%s); moved to %s, starting fresh", path, exc, aside)
        state.reset()
        return False
    state.reindex()
    state.pool_by_number = {n.number: n for n in state.pool}
    return True

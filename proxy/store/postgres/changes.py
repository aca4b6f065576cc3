"""The change feed: every change of an activation, by any replica, heard at once.

A trigger (migration 6) notifies the schema's channel with the id of each activation a
commit changed. Each replica holds one connection that LISTENs to it and drops what it
holds of that id, so its next read goes to the database. Issued keys and policies are
announced the same way (migration 8), whoever changed them (a replica, the CLI), so a
revocation reaches every replica at once. The connection is probed every
PROBE_SECONDS; while it is away nothing is answered from memory (`Fresh.lost`), and once
it listens again the replica trusts what it reads from then on (`Fresh.resumed`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import asyncpg

from proxy.errors import StoreUnavailable
from proxy.store.postgres.db import UNREACHABLE, PgDb

log = logging.getLogger("smsproxy.store")
PROBE_SECONDS = 1.0  # a feed that does not answer a probe this long is lost
RETRY_SECONDS = 1.0


def channel(schema: str) -> str:
    """The trigger's channel for a schema (migration 6 names it the same way)."""
    return f"smsproxy_activations_{schema}"


def keys_channel(schema: str) -> str:
    """Migration 8's channel: issued keys or policies changed."""
    return f"smsproxy_keys_{schema}"


class ChangeFeed:
    def __init__(
        self,
        db: PgDb,
        changed: Callable[[int], None],
        lost: Callable[[], None],
        resumed: Callable[[], None],
    ) -> None:
        self._db = db
        self._changed, self._lost, self._resumed = changed, lost, resumed
        self.keys_changed: Callable[[], None] = lambda: None  # told when keys or policies change
        self.live = False
        self.pid: int | None = None  # the listening backend's, while there is one

    def _heard(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        try:
            self._changed(int(str(payload)))
        except ValueError:
            log.warning("change feed: not an activation id: %r", str(payload)[:40])

    def _keys_heard(self, _conn: object, _pid: int, _channel: str, _payload: object) -> None:
        self.keys_changed()

    async def follow(self) -> None:
        """Listen until cancelled, connecting again whenever the connection is lost."""
        while True:
            try:
                await self._listen()
            except (StoreUnavailable, *UNREACHABLE) as away:
                if self.live:
                    log.warning("change feed lost (%s): reading the store", type(away).__name__)
            except Exception:  # whatever broke it, the store is read until it listens again
                log.exception("change feed failed: reading the store")
            finally:
                self._stop()
            await asyncio.sleep(RETRY_SECONDS)

    async def _listen(self) -> None:
        conn = await self._db.connect_alone()
        gone = asyncio.Event()
        conn.add_termination_listener(lambda _c: gone.set())
        try:
            schema = str(await conn.fetchval("SELECT current_schema()"))
            await conn.add_listener(channel(schema), self._heard)
            await conn.add_listener(keys_channel(schema), self._keys_heard)
            self.pid = conn.get_server_pid()
            self.live = True
            self._resumed()
            self.keys_changed()  # whatever changed while nobody listened
            while not gone.is_set():
                try:
                    await asyncio.wait_for(gone.wait(), PROBE_SECONDS)
                except TimeoutError:
                    await asyncio.wait_for(conn.fetchval("SELECT 1"), PROBE_SECONDS)
            raise asyncpg.PostgresConnectionError("the listening connection closed")
        finally:
            conn.terminate()

    def _stop(self) -> None:
        self.live, self.pid = False, None
        self._lost()

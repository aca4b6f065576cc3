"""Log lines are written by a thread of their own: the event loop only queues records.

Every line is kept (access lines included; none are sampled): a queue handler costs the
loop a `put`, and the formatting and the write to stderr happen in the listener's thread.
Records are queued as they are, not pre-formatted (the standard `QueueHandler.prepare`
formats in the caller's thread, which is the cost this module moves away); the proxy
logs plain values, so formatting them later shows what they were.
"""

from __future__ import annotations

import atexit
import logging
import queue
from logging.handlers import QueueHandler, QueueListener

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class _Enqueue(QueueHandler):
    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record


def log_from_a_thread(level: int = logging.INFO) -> QueueListener:
    """Route the root logger's records through a queue to a writer thread (stopped, and
    so flushed, at exit)."""
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    out = logging.StreamHandler()
    out.setFormatter(logging.Formatter(FORMAT))
    listener = QueueListener(records, out, respect_handler_level=True)
    listener.start()
    root = logging.getLogger()
    root.handlers[:] = [_Enqueue(records)]
    root.setLevel(level)
    atexit.register(listener.stop)
    return listener

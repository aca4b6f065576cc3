"""Served requests: every record becomes one metrics sample and one access line, in
order, when a batch fills, when `/metrics` folds, and at close; a line carries the
time its request ended, not the time of the fold."""

from __future__ import annotations

import io
import logging
import time
from datetime import datetime

import pytest
from prometheus_client import generate_latest

from adapters.dialects import NAMES
from proxy.telemetry.access_log import NAME, AccessLog
from proxy.telemetry.metrics import Metrics
from proxy.telemetry.served import FOLD_BATCH, Served


@pytest.fixture(autouse=True)
def access_on(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=NAME)


def note(result: str = "ok", dialect: str = "sms-activate") -> dict[str, str]:
    return {"dialect": dialect, "action": "getStatus", "result": result}


def count(metrics: Metrics, labels: str) -> float:
    for line in generate_latest(metrics.registry).decode().splitlines():
        if line.startswith(f"smsproxy_client_requests_total{{{labels}}} "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_records_become_lines_and_samples_in_order_at_close() -> None:
    out, metrics = io.StringIO(), Metrics(NAMES)
    served = Served(metrics, AccessLog(out))
    now = time.perf_counter()
    served.add(("id1", note(), 200, now - 0.002, now, 0))
    served.add(("id2", note("NotFound"), 200, now - 0.5, now, 1))
    served.add(("id3", note("Weird", "x-dialect"), 500, now, now, 0))
    assert out.getvalue() == ""  # nothing yet: the batch waits for its fold
    served.close()
    lines = [line.split(" INFO smsproxy.access ", 1)[1] for line in out.getvalue().splitlines()]
    assert lines == [
        "request_id=id1 dialect=sms-activate action=getStatus result=ok status=200 "
        "duration_ms=2.00 upstream_calls=0",
        "request_id=id2 dialect=sms-activate action=getStatus result=NotFound status=200 "
        "duration_ms=500.00 upstream_calls=1",
        "request_id=id3 dialect=x-dialect action=getStatus result=Weird status=500 "
        "duration_ms=0.00 upstream_calls=0",
    ]
    base = 'action="getStatus",dialect="sms-activate"'
    assert count(metrics, f'{base},result="ok",source="proxy"') == 1
    assert count(metrics, f'{base},result="NotFound",source="upstream"') == 1
    # labels stay in their closed sets
    other = 'action="getStatus",dialect="other",result="internal",source="proxy"'
    assert count(metrics, other) == 1


async def test_a_full_batch_is_folded_at_once_and_a_fold_is_what_a_scrape_sees() -> None:
    out, metrics = io.StringIO(), Metrics(NAMES)
    served = Served(metrics, AccessLog(out))
    now = time.perf_counter()
    labels = 'action="getStatus",dialect="sms-activate",result="ok",source="proxy"'
    for n in range(FOLD_BATCH):
        served.add((f"id{n}", note(), 200, now, now, 0))
    assert count(metrics, labels) == FOLD_BATCH  # the last add folded the batch
    served.add(("late", note(), 200, now, now, 0))
    assert count(metrics, labels) == FOLD_BATCH
    served.fold()  # what `/metrics` does before it renders
    assert count(metrics, labels) == FOLD_BATCH + 1
    served.close()
    assert len(out.getvalue().splitlines()) == FOLD_BATCH + 1


async def test_a_line_carries_the_time_its_request_ended() -> None:
    out = io.StringIO()
    served = Served(None, AccessLog(out), json_lines=True)
    ended = time.perf_counter() - 30.0  # folded 30 s after it ended
    served.add(("old", note(), 200, ended - 0.001, ended, 0))
    served.close()
    stamp, message = out.getvalue().split(" INFO smsproxy.access ")
    logged = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()
    assert 29.0 < time.time() - logged < 31.5
    assert message == (
        '{"request_id":"old","dialect":"sms-activate","action":"getStatus","result":"ok",'
        '"status":200,"duration_ms":1.0,"upstream_calls":0}\n'
    )

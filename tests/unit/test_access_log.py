"""Access lines: batched, written whole, in the order of the requests, never lost at close."""

from __future__ import annotations

import io
import logging
import re

import pytest

from proxy.telemetry.access_log import MAX_BATCH, NAME, AccessLog


@pytest.fixture(autouse=True)
def access_on(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=NAME)  # as `smsproxy serve` sets it


LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO smsproxy\.access n=(\d+)$")


async def test_lines_are_batched_and_flushed_at_close() -> None:
    out = io.StringIO()
    log = AccessLog(out)
    for n in range(MAX_BATCH + 3):
        log.add(f"n={n}")
    log.close()  # the first batch went when it was full; the rest at close
    lines = out.getvalue().splitlines()
    assert [int(LINE.match(ln).group(1)) for ln in lines] == list(range(MAX_BATCH + 3))  # type: ignore[union-attr]


async def test_nothing_is_written_while_the_logger_is_off() -> None:
    out = io.StringIO()
    log = AccessLog(out)
    logger = logging.getLogger(NAME)
    before = logger.level
    logger.setLevel(logging.WARNING)
    try:
        log.add("n=1")
    finally:
        logger.setLevel(before)
    log.add("n=2")
    log.close()
    assert [ln.rsplit(" ", 1)[1] for ln in out.getvalue().splitlines()] == ["n=2"]


def test_a_line_outside_a_loop_is_a_programming_error() -> None:
    with pytest.raises(RuntimeError):
        AccessLog(io.StringIO()).add("n=1")  # the flush timer needs the running loop

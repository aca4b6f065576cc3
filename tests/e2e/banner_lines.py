"""The lines a banner says to try, run as a user would: copied into a shell with `<id>`,
`<number>` and `<key>` replaced by what the earlier lines printed (the number as
getNumber printed it, calling code and all)."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Mapping

END = "action=getStatus&id=<id>'"  # the banner's last line to try


async def read_banner(stdout: asyncio.StreamReader) -> list[str]:
    """The banner's lines, up to its last line to try."""
    lines: list[str] = []
    while not (lines and lines[-1].endswith(END)):
        line = await asyncio.wait_for(stdout.readline(), 20)
        assert line, "serve exited before its banner was whole:\n" + "\n".join(lines)
        lines.append(line.decode().rstrip("\n"))
    return lines


def to_try(banner: list[str]) -> list[str]:
    return [line.strip() for line in banner if line.startswith("  curl ")]


def pasted(line: str, values: Mapping[str, str]) -> str:
    command = line.split("    #")[0]  # a trailing comment names the sandbox
    for name, value in values.items():
        command = command.replace(f"<{name}>", value)
    assert not any(f"<{p}>" in command for p in ("id", "number", "key")), command
    return command


async def run(line: str, values: Mapping[str, str] | None = None) -> str:
    """One line in a shell, as typed; what it printed."""
    command = pasted(line, values or {})
    done = await asyncio.to_thread(
        subprocess.run, ["bash", "-c", command], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, (command, done.stderr)
    return done.stdout


async def bought(line: str, values: Mapping[str, str] | None = None) -> dict[str, str]:
    """getNumber's line run; `id` and `number` as it printed them."""
    answer = await run(line, values)
    token, activation_id, number = answer.split(":")
    assert token == "ACCESS_NUMBER", answer
    return {"id": activation_id, "number": number}

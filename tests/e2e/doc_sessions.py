"""The docs' marked shell blocks, run as a reader types them.

A block is marked by a comment line before it, `<!-- docs-test: SUITE -->`, and is a
`console` block: `$ command` lines, each followed by the output the docs show. Blocks of
one suite run in order, in one scratch directory (`.venv` linked, `examples/` copied),
with a fresh data dir. In what the docs show:

* `<name>` matches a word and binds it; a later `<name>` (in a command or an output)
  is what it bound: an id, a number or a key is pasted as it was printed;
* `…` matches anything on its line;
* a command ending in `&` runs in the background until the suite ends; the next command
  waits for its first line of output (smsproxy prints it once it listens).

Ports and names the docs use are moved to free ones (and unique ones), in commands,
outputs and the copied examples alike, so a suite runs beside anything.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARK = re.compile(r"<!-- docs-test: (?P<suite>[\w-]+) -->\n```console\n(?P<body>.*?)```", re.S)
PLACEHOLDER = re.compile(r"<([a-z_]+)>")
WORD = r"[^\s:,;'\"()<>]+"
READY_SECONDS = 30.0
COMMAND_SECONDS = 60.0


@dataclass
class Step:
    command: str
    expected: list[str] = field(default_factory=list)
    where: str = ""  # file:line, for the message of a mismatch


def steps(path: Path, suite: str) -> list[Step]:
    """The suite's steps in the file, in order."""
    text = path.read_text()
    found: list[Step] = []
    for block in MARK.finditer(text):
        if block.group("suite") != suite:
            continue
        first = text[: block.start("body")].count("\n") + 1
        lines = block.group("body").splitlines()
        index = 0
        while index < len(lines):
            line = lines[index]
            if not line.startswith("$ "):
                raise ValueError(f"{path}:{first + index}: output before any command")
            command, where = line[2:], f"{path.name}:{first + index}"
            while command.endswith("\\"):  # a command continued on the next line
                index += 1
                command = command[:-1] + lines[index].strip()
            step = Step(command, where=where)
            index += 1
            while index < len(lines) and not lines[index].startswith("$ "):
                step.expected.append(lines[index])
                index += 1
            while step.expected and not step.expected[-1].strip():
                step.expected.pop()
            found.append(step)
    return found


class Session:
    """One suite's scratch directory, its substitutions, its bound names and its
    background processes."""

    def __init__(self, tmp: Path, moved: Mapping[str, str]) -> None:
        self.tmp = tmp
        self.moved = dict(moved)  # text the docs use -> what it is here
        self.bound: dict[str, str] = {}
        self.background: list[tuple[subprocess.Popen[bytes], Path]] = []
        (tmp / ".venv").symlink_to(ROOT / ".venv")
        shutil.copytree(ROOT / "examples", tmp / "examples")
        for copied in (tmp / "examples").rglob("*.toml"):
            copied.write_text(self.move(copied.read_text()))
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SMSPROXY_")}
        self.env.update(
            SMSPROXY_PORT=self.moved.get("8080", "8080"),
            SMSPROXY_SANDBOX_PORT=self.moved.get("9300", "9300"),
            # a reader types slower than the proxy's 2-second status poll: here every
            # read may ask the vendor, instead of the suite waiting out the interval
            SMSPROXY_POLL_INTERVAL_SECONDS="0",
        )

    def move(self, text: str) -> str:
        for old, new in self.moved.items():
            text = re.sub(rf"(?<![\w.]){re.escape(old)}(?![\w])", new, text)
        return text

    def paste(self, command: str) -> str:
        def value(found: re.Match[str]) -> str:
            name = found.group(1)
            if name not in self.bound:
                raise AssertionError(f"{name} is used before anything printed it: {command}")
            return self.bound[name]

        return PLACEHOLDER.sub(value, self.move(command))

    def run(self, step: Step) -> None:
        command = self.paste(step.command)
        if command.rstrip().endswith("&"):
            self._start(command.rstrip()[:-1], step)
            return
        done = subprocess.run(
            ["bash", "-o", "pipefail", "-c", command + " 2>&1"],
            cwd=self.tmp,
            env=self.env,
            capture_output=True,
            timeout=COMMAND_SECONDS,
            check=False,
        )
        printed = done.stdout.decode().rstrip("\n").splitlines()
        self.expect(step, printed)

    def expect(self, step: Step, printed: list[str]) -> None:
        wanted = [self.move(line) for line in step.expected]
        message = (
            f"{step.where}: $ {step.command}\n  the docs show:\n    "
            + "\n    ".join(wanted)
            + "\n  it printed:\n    "
            + "\n    ".join(printed)
        )
        assert len(printed) == len(wanted), message
        for shown, got in zip(wanted, printed, strict=True):
            pattern, names = self._pattern(shown.rstrip())
            found = re.fullmatch(pattern, got.rstrip())
            assert found is not None, message
            for group, name in names.items():
                self.bound[name] = found.group(group)

    def _pattern(self, shown: str) -> tuple[str, dict[str, str]]:
        parts, names = [], {}
        for piece in re.split(r"(<[a-z_]+>|…)", shown):
            if piece == "…":
                parts.append(".*")
            elif PLACEHOLDER.fullmatch(piece):
                name = piece[1:-1]
                if name in self.bound:
                    parts.append(re.escape(self.bound[name]))
                elif name in names.values():
                    group = next(g for g, n in names.items() if n == name)
                    parts.append(f"(?P={group})")
                else:
                    group = f"g{len(names)}"
                    names[group] = name
                    parts.append(f"(?P<{group}>{WORD})")
            else:
                parts.append(re.escape(piece))
        return "".join(parts), names

    def _start(self, command: str, step: Step) -> None:
        log = self.tmp / f"background-{len(self.background)}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                ["bash", "-c", f"exec {command}"],
                cwd=self.tmp,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.background.append((proc, log))
        deadline = time.monotonic() + READY_SECONDS
        while not log.read_text().strip():  # a condition polled: its first line, once up
            assert proc.poll() is None, f"{step.where}: {command} exited: {log.read_text()}"
            assert time.monotonic() < deadline, f"{step.where}: {command} printed nothing"
            time.sleep(0.05)

    def close(self) -> None:
        for proc, _ in reversed(self.background):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT)
        for proc, log in self.background:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
            assert "Traceback" not in log.read_text(), log.read_text()


def run_suite(sources: list[Path], suite: str, session: Session) -> Iterator[str]:
    """Runs every marked step of the suite, file after file; yields where each ran."""
    for path in sources:
        for step in steps(path, suite):
            session.run(step)
            yield step.where

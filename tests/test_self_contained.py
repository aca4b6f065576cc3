"""A user's clone has nothing beside it: no tracked file may lean on a sibling folder."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIBLING = "../" + "shared"  # spelt in two parts so this file does not match itself


def tracked_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    return [ROOT / name for name in listed.split("\0") if name]


def test_no_tracked_file_mentions_the_sibling_folder() -> None:
    files = tracked_files()
    assert len(files) > 50, "git ls-files found the repository"
    offenders = [
        str(path.relative_to(ROOT))
        for path in files
        if path.is_file() and SIBLING.encode() in path.read_bytes()
    ]
    assert offenders == []


def test_the_vendor_references_live_in_the_repository() -> None:
    vendor = ROOT / "docs" / "vendor"
    for name in ("getatext-api.txt", "sms-activate-protocol.md", "5sim-protocol.md"):
        assert (vendor / name).stat().st_size > 10_000, name

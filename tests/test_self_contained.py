"""A user's clone has nothing beside it: no tracked file may lean on a sibling folder.

CI's own scripts (`.ci/`) may use the container kit where it lies beside the clone, as an
option: without it they pull the base images, or say in one line why they cannot."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIBLING = "../" + "shared"  # spelt in two parts so this file does not match itself
OPTIONAL_USERS = (".ci/containers",)  # uses the kit when present, never needs it


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
    assert [o for o in offenders if o not in OPTIONAL_USERS] == []


def test_ci_goes_on_without_the_kit(tmp_path: Path) -> None:
    """A clone with nothing beside it, on a machine whose docker has no daemon: the
    container checks say so in one line and end well; the kit is never a need."""
    clone = tmp_path / "clone"
    (clone / ".ci").mkdir(parents=True)
    shutil.copy(ROOT / ".ci" / "containers", clone / ".ci" / "containers")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "docker").write_text("#!/bin/sh\nexit 1\n")  # a CLI whose daemon is away
    (bin_dir / "docker").chmod(0o755)
    done = subprocess.run(
        ["bash", str(clone / ".ci" / "containers")],
        env={"PATH": f"{bin_dir}:/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        "containers: no Docker daemon can be started here: image-check and fleet-check not run\n",
        "",
    )


def test_the_vendor_references_live_in_the_repository() -> None:
    vendor = ROOT / "docs" / "vendor"
    for name in ("getatext-api.txt", "sms-activate-protocol.md", "5sim-protocol.md"):
        assert (vendor / name).stat().st_size > 10_000, name

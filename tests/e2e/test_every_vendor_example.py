"""examples/every-vendor.toml: one provider of each kind; `smsproxy check-config` explains
each of them and every new option, and names the field of a bad value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "every-vendor.toml"
KEYS = {
    name: f"sk_{name.lower()}"
    for name in (
        "GETATEXT_KEY",
        "DAISYSMS_KEY",
        "FIVESIM_KEY",
        "SMSPOOL_KEY",
        "TEXTVERIFIED_KEY",
        "ONLINESIM_KEY",
        "CLIENT_KEY",
    )
}


def check_config(path: Path, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "proxy.cli", "check-config", str(path)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT), **KEYS, **env},
    )


def test_check_config_explains_every_kind(tmp_path: Path) -> None:
    done = check_config(EXAMPLE, tmp_path, TEXTVERIFIED_USER="me@example.com")
    assert done.returncode == 0, done.stderr
    lines = [line.strip() for line in done.stdout.splitlines()]
    assert lines[1:8] == [
        "provider getatext: getatext at https://getatext.com, priority 1",
        "provider daisy: handler-api (daisysms) at "
        "https://daisysms.com/stubs/handler_api.php, priority 2",
        "provider fivesim: fivesim at https://5sim.net, priority 3, prices in RUB "
        "(1 RUB = 0.011 USD)",
        "provider smspool: smspool at https://api.smspool.net, priority 4",
        "provider textverified: textverified at https://www.textverified.com, priority 5, "
        "signs in as the user in $TEXTVERIFIED_USER",
        "provider onlinesim: onlinesim at https://onlinesim.io, priority 6",
        "routing value: the lowest price in USD per delivered code first (10% of purchases "
        "try another provider)",
    ]
    assert "tenant 0: getatext, daisy, fivesim, smspool, textverified, onlinesim" in lines
    assert not any(key in done.stdout for key in KEYS.values())  # keys read, never shown
    assert "me@example.com" not in done.stdout


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (("", ""), "provider textverified: $TEXTVERIFIED_USER is not set"),
        (
            ('currency = "RUB"', 'currency = "rubles"'),
            'provider fivesim: currency is an ISO 4217 code such as "USD"',
        ),
        (
            ("currency_rates = { RUB = 0.011 }", "currency_rates = { RUB = -1 }"),
            "currency_rates.RUB must be a positive number",
        ),
        (
            ('routing = "value"', 'routing = "value"\nvalue_explore = 0.9'),
            "value_explore must be between 0 and 0.5",
        ),
        (
            ('routing = "value"', 'routing = "valeu"'),
            "routing must be one of priority, cheapest, weighted, value",
        ),
        (
            ('kind = "onlinesim"', 'kind = "onlinsim"'),
            "provider onlinesim: unknown kind onlinsim (did you mean onlinesim?); kinds are "
            "getatext, handler-api, fivesim, smspool, onlinesim, textverified",
        ),
        (
            ('username_env = "TEXTVERIFIED_USER"', ""),
            "provider textverified: a textverified provider needs username_env (the variable "
            "holding the user name it signs in with)",
        ),
    ],
)
def test_a_bad_value_names_its_field(tmp_path: Path, change: tuple[str, str], said: str) -> None:
    old, new = change
    text = EXAMPLE.read_text()
    assert old in text
    path = tmp_path / "every-vendor.toml"
    path.write_text(text.replace(old, new, 1) if old else text)
    done = check_config(path, tmp_path)  # TEXTVERIFIED_USER is not set here
    assert done.returncode == 2, done.stdout
    assert done.stderr.strip() == f"{path}: {said}"

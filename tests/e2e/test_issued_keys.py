"""Keys the proxy issues (`managed_keys = true`): `smsproxy keys create` beside a running
`smsproxy serve`, the key working on every dialect, and `keys revoke` stopping it on
every dialect without a restart. Real processes, real sockets, the embedded sandbox."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from aiohttp.test_utils import TestServer

from proxy import config
from proxy.app import build_app
from proxy.config.routing import ProviderConfig
from proxy.local.clock import ManualClock
from proxy.sandbox import SandboxConfig, create_app

from .test_durability import free_port
from .test_routing_example import ROOT, smsproxy

SANDBOX_KEY = "sk_sandbox_demo"
ADMIN = "adm_keys_token"


@dataclass
class Served:
    base: str
    config: Path
    cwd: Path
    http: httpx.AsyncClient
    vendor: str = ""  # the sandbox, where the test can see it

    def keys(self, *args: str) -> tuple[int, str, str]:
        done = smsproxy("keys", "--config", str(self.config), *args, cwd=self.cwd)
        return done.returncode, done.stdout, done.stderr

    async def sa(self, key: str, **params: str) -> str:
        r = await self.http.get(
            self.base + "/stubs/handler_api.php", params={"api_key": key, **params}
        )
        return r.text

    async def everywhere(self, key: str) -> tuple[str, str, int, int]:
        """getBalance in both handler_api dialects, 5sim's profile and v1's balance."""
        legacy = await self.http.get(
            self.base + "/getatext/stubs/handler_api.php",
            params={"api_key": key, "action": "getBalance"},
        )
        five = await self.http.get(
            self.base + "/v1/user/profile", headers={"Authorization": f"Bearer {key}"}
        )
        v1 = await self.http.get(self.base + "/api/v1/balance", headers={"Auth": key})
        return (
            await self.sa(key, action="getBalance"),
            legacy.text,
            five.status_code,
            v1.status_code,
        )


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    vendor, port = free_port(), free_port()
    (tmp_path / "vendor.key").write_text(SANDBOX_KEY)
    config = tmp_path / "smsproxy.toml"
    config.write_text(
        f'port = {port}\ndata_dir = "{tmp_path / "data"}"\nmanaged_keys = true\n'
        f'secret = "issued-keys"\n\n[[providers]]\nname = "alpha"\nkind = "getatext"\n'
        f'base_url = "http://127.0.0.1:{vendor}"\nkey_file = "{tmp_path / "vendor.key"}"\n'
        "sandbox = true\n"
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "proxy.cli",
        "serve",
        "--config",
        str(config),
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    try:
        while not (await asyncio.wait_for(proc.stdout.readline(), 20)).startswith(b"smsproxy"):
            pass
        async with httpx.AsyncClient(timeout=10) as http:
            yield Served(f"http://127.0.0.1:{port}", config, tmp_path, http)
    finally:
        proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(proc.wait(), 20)


async def test_an_issued_key_works_everywhere_until_it_is_revoked(served: Served) -> None:
    code, out, err = served.keys("create", "--tenant", "fleet-a", "--upstream-balance")
    assert code == 0, err
    key_id, key = out.split()[0], out.split()[-1]
    assert len(key) == 32 and all(c in "0123456789abcdef" for c in key)

    async def answers(expected: tuple[str, str, int, int]) -> None:
        while await served.everywhere(key) != expected:
            await asyncio.sleep(0.05)  # a condition polled: the proxy reads keys each second

    await asyncio.wait_for(
        answers(("ACCESS_BALANCE:100.00", "ACCESS_BALANCE:100.00", 200, 200)), 10
    )
    token, activation_id, _ = (await served.sa(key, action="getNumber", service="wa")).split(":")
    assert token == "ACCESS_NUMBER"
    assert await served.sa(SANDBOX_KEY, action="getStatus", id=activation_id) == "BAD_KEY"

    code, out, _ = served.keys("list")
    assert f"{key_id}  tenant=fleet-a  providers=all" in out and out.rstrip().endswith("active")
    assert key not in out
    stored = (served.cwd / "data" / "smsproxy.db").read_bytes()
    assert key.encode() not in stored  # only the keyed fingerprint is kept

    code, out, _ = served.keys("revoke", key_id)
    assert (code, out.strip()) == (0, f"{key_id} revoked")
    never_issued = await served.everywhere("0" * 32)  # each dialect's bad-key answer
    assert never_issued == ("BAD_KEY", "BAD_KEY", 401, 403)
    await asyncio.wait_for(answers(never_issued), 10)
    assert served.keys("list")[1].rstrip().endswith("revoked")


async def test_a_second_key_of_the_tenant_sees_its_activations(served: Served) -> None:
    first = served.keys("create", "--tenant", "fleet-b")[1].split()[-1]
    second = served.keys("create", "--tenant", "fleet-b", "--expires", "30d")[1].split()[-1]
    other = served.keys("create", "--tenant", "fleet-c")[1].split()[-1]

    async def known(key: str) -> None:
        while (await served.sa(key, action="getBalance")) == "BAD_KEY":
            await asyncio.sleep(0.05)  # a condition polled: the proxy reads keys each second

    for key in (first, second, other):
        await asyncio.wait_for(known(key), 10)
    _, activation_id, _ = (await served.sa(first, action="getNumber", service="wa")).split(":")
    assert await served.sa(second, action="getStatus", id=activation_id) == "STATUS_WAIT_CODE"
    assert await served.sa(other, action="getStatus", id=activation_id) == "NO_ACTIVATION"


def test_keys_refuse_what_cannot_work(tmp_path: Path) -> None:
    plain = tmp_path / "plain.toml"
    plain.write_text(f'data_dir = "{tmp_path}"\n')
    done = smsproxy("keys", "--config", str(plain), "list", cwd=tmp_path)
    assert (done.returncode, done.stderr.strip()) == (
        2,
        "keys: set managed_keys = true, with [[providers]], to issue keys",
    )
    bad = smsproxy(
        "keys", "--config", str(plain), "create", "--tenant", "x", "--expires", "soon", cwd=tmp_path
    )
    assert bad.returncode == 2 and "a duration such as 30d" in bad.stderr


@asynccontextmanager
async def in_process(tmp_path: Path, clock: ManualClock | None = None) -> AsyncIterator[Served]:
    """The proxy (managed keys, an admin token) and a sandbox, as test servers."""
    vendor = TestServer(create_app(SandboxConfig(seed=9)), host="127.0.0.1")
    await vendor.start_server()
    settings = config.load(
        env={},
        data_dir=tmp_path / "data",
        secret="admin-keys",
        managed_keys=True,
        admin_token=ADMIN,
        providers=(
            ProviderConfig("alpha", "getatext", str(vendor.make_url("")).rstrip("/"), "VENDOR"),
        ),
    )
    proxy = TestServer(build_app(settings, clock, {"VENDOR": SANDBOX_KEY}), host="127.0.0.1")
    await proxy.start_server()
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            yield Served(
                str(proxy.make_url("")).rstrip("/"),
                tmp_path,
                tmp_path,
                http,
                str(vendor.make_url("")).rstrip("/"),
            )
    finally:
        await proxy.close()
        await vendor.close()


async def test_the_admin_api_issues_lists_and_revokes(tmp_path: Path) -> None:
    admin = {"X-Admin-Token": ADMIN}
    async with in_process(tmp_path) as served:
        http, base = served.http, served.base
        assert (await http.post(base + "/admin/keys", json={"tenant": "t"})).status_code == 404
        for body, error in [
            ({"tenant": ""}, "tenant must be a name of 1 to 64 characters"),
            ({"tenant": "t", "providers": ["zeta"]}, "no provider named zeta"),
            ({"tenant": "t", "expires_days": 0}, "expires_days must be a whole number"),
        ]:
            refused = await http.post(base + "/admin/keys", json=body, headers=admin)
            assert refused.status_code == 400 and refused.json()["error"].startswith(error)
        made = await http.post(
            base + "/admin/keys",
            json={"tenant": "t", "expires_days": 30, "upstream_balance": True},
            headers=admin,
        )
        assert made.status_code == 201, made.text
        key, key_id = made.json()["key"], made.json()["id"]
        assert await served.sa(key, action="getBalance") == "ACCESS_BALANCE:100.00"  # at once
        listed = (await http.get(base + "/admin/keys", headers=admin)).json()["keys"]
        assert [(k["id"], k["tenant"], k["state"]) for k in listed] == [(key_id, "t", "active")]
        assert key not in json.dumps(listed)
        gone = await http.delete(f"{base}/admin/keys/{key_id}", headers=admin)
        assert (gone.status_code, gone.json()["state"]) == (200, "revoked")
        assert await served.sa(key, action="getBalance") == "BAD_KEY"  # at once, here
        missing = await http.delete(base + "/admin/keys/key_nope", headers=admin)
        assert missing.status_code == 404


async def test_rotation_keeps_the_old_key_for_its_grace(tmp_path: Path) -> None:
    admin = {"X-Admin-Token": ADMIN}
    clock = ManualClock()
    async with in_process(tmp_path, clock) as served:
        http, base = served.http, served.base
        old = (await http.post(base + "/admin/keys", json={"tenant": "r"}, headers=admin)).json()
        _, activation_id, _ = (await served.sa(old["key"], action="getNumber", service="wa")).split(
            ":"
        )
        rotated = await http.post(
            f"{base}/admin/keys/{old['id']}/rotate", json={"grace_seconds": 600}, headers=admin
        )
        assert rotated.status_code == 201, rotated.text
        new = rotated.json()
        assert new["id"] != old["id"] and new["key"] != old["key"]
        for key in (old["key"], new["key"]):  # both work during the grace
            assert await served.sa(key, action="getStatus", id=activation_id) == (
                "STATUS_WAIT_CODE"
            )
        clock.advance(601)

        async def old_refused() -> None:
            while await served.sa(old["key"], action="getBalance") != "BAD_KEY":
                await asyncio.sleep(0.05)  # a condition polled: keys are read each second

        await asyncio.wait_for(old_refused(), 10)
        assert await served.sa(new["key"], action="getStatus", id=activation_id) == (
            "STATUS_WAIT_CODE"
        )
        again = await http.post(f"{base}/admin/keys/{old['id']}/rotate", headers=admin)
        assert again.status_code == 404  # an expired key is not rotated


async def test_a_tenants_cap_on_open_activations_holds_under_concurrency(tmp_path: Path) -> None:
    admin = {"X-Admin-Token": ADMIN}
    async with in_process(tmp_path) as served:
        http, base = served.http, served.base
        bad = await http.post(
            base + "/admin/keys", json={"tenant": "capped", "max_active": 0}, headers=admin
        )
        assert (bad.status_code, bad.json()) == (
            400,
            {"error": "max_active must be a whole number above 0"},
        )
        made = await http.post(
            base + "/admin/keys", json={"tenant": "capped", "max_active": 3}, headers=admin
        )
        key = made.json()["key"]
        answers = await asyncio.gather(
            *(served.sa(key, action="getNumber", service="wa") for _ in range(8))
        )
        bought = [a for a in answers if a.startswith("ACCESS_NUMBER:")]
        assert len(bought) == 3, answers  # never more than the cap, whatever the timing
        assert sorted(set(answers) - set(bought)) == ["NO_NUMBERS"]  # SMS-Activate's own token
        vendor = (await http.get(served.vendor + "/_sandbox/rentals")).json()["rentals"]
        assert len(vendor) == 3  # checked at the vendor: nothing more was bought
        five = await http.get(
            base + "/v1/user/buy/activation/usa/any/whatsapp",
            headers={"Authorization": f"Bearer {key}"},
        )
        assert (five.status_code, five.text) == (400, "no free phones")


async def test_a_tenant_buys_only_the_services_it_is_allowed(tmp_path: Path) -> None:
    admin = {"X-Admin-Token": ADMIN}
    async with in_process(tmp_path) as served:
        http, base = served.http, served.base
        made = await http.post(
            base + "/admin/keys",
            json={"tenant": "tg-only", "services": ["telegram"]},
            headers=admin,
        )
        key = made.json()["key"]
        assert await served.sa(key, action="getNumber", service="wa") == "BAD_SERVICE"
        five = await http.get(
            base + "/v1/user/buy/activation/usa/any/whatsapp",
            headers={"Authorization": f"Bearer {key}"},
        )
        assert (five.status_code, five.text) == (400, "no product")
        assert (await served.sa(key, action="getNumber", service="tg")).startswith("ACCESS_NUMBER:")
        vendor = (await http.get(served.vendor + "/_sandbox/rentals")).json()["rentals"]
        assert [r["service"] for r in vendor] == ["telegram"]  # nothing else was bought


async def test_the_walk_through_from_keys_create_to_a_budget_refusal(served: Served) -> None:
    """docs/tenants.md, step by step, with the real CLI beside a running proxy."""
    code, out, err = served.keys(
        "create",
        "--tenant",
        "fleet-a",
        "--daily-budget",
        "1.10",
        "--max-price",
        "whatsapp=0.60",
        "--rate",
        "5/s",
        "--webhook",
        "https://tools.example/hooks/sms",
    )
    assert code == 0, err
    lines = out.splitlines()
    key = lines[0].split()[-1]
    assert lines[1].startswith("webhook signing secret for tenant fleet-a: ")

    async def known() -> None:
        while await served.sa(key, action="getBalance") != "ACCESS_BALANCE:1.10":
            await asyncio.sleep(0.05)  # a condition polled: the proxy reads keys each second

    await asyncio.wait_for(known(), 10)
    bought = [await served.sa(key, action="getNumber", service="wa") for _ in range(3)]
    assert [b.split(":")[0] for b in bought] == ["ACCESS_NUMBER", "ACCESS_NUMBER", "NO_BALANCE"]
    assert await served.sa(key, action="getBalance") == "ACCESS_BALANCE:0.00"
    done = smsproxy("usage", "--config", str(served.config), "--format", "csv", cwd=served.cwd)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "tenant,purchases,charged,refunds,refunded,adjusted,net,held",
        "fleet-a,2,1.10,0,0.00,0.00,1.10,0.00",
    ]
    table = smsproxy("usage", "--config", str(served.config), cwd=served.cwd).stdout
    assert table.splitlines()[0].split() == [
        "tenant",
        "purchases",
        "charged",
        "refunds",
        "refunded",
        "adjusted",
        "net",
        "held",
    ]
    shown = served.keys("show", lines[0].split()[0])[1].splitlines()
    assert shown[0].startswith(f"{lines[0].split()[0]}  tenant=fleet-a  providers=all")
    assert shown[1] == (
        "tenant fleet-a: daily_budget=1.10, rate=5/s, max_prices=whatsapp=0.60, "
        "webhook=https://tools.example/hooks/sms; net spend 1.10"
    )
    assert key not in "".join(shown)

    def tenants(*args: str) -> tuple[int, str]:
        done = smsproxy("tenants", "--config", str(served.config), *args, cwd=served.cwd)
        return done.returncode, done.stdout.strip() or done.stderr.strip()

    assert tenants("adjust", "fleet-a", "-0.55", "--note", "goodwill") == (
        0,
        "tenant fleet-a: adjusted by -0.55",
    )
    assert await served.sa(key, action="getBalance") == "ACCESS_BALANCE:0.55"  # at once
    assert tenants("set", "fleet-a", "--daily-budget", "2.20")[0] == 0

    async def raised() -> None:
        while await served.sa(key, action="getBalance") != "ACCESS_BALANCE:1.65":
            await asyncio.sleep(0.05)  # a condition polled: policies are read each second

    await asyncio.wait_for(raised(), 10)
    assert tenants("list") == (
        0,
        "tenant fleet-a: daily_budget=2.20, rate=5/s, max_prices=whatsapp=0.60, "
        "webhook=https://tools.example/hooks/sms",
    )
    bad = served.keys("create", "--tenant", "x", "--daily-budget", "-5")
    assert (bad[0], bad[2].strip()) == (2, "keys: daily_budget must be an amount from 0 to 1000000")

"""Settings that change what clients see: the default dialect and the service-code table."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from proxy import config
from proxy.app import build_app, describe_config

from .conftest import World, start_world


@pytest.fixture
async def getatext_default(tmp_path: Path) -> AsyncIterator[World]:
    async for w in start_world(
        tmp_path, default_dialect="getatext", service_codes={"zz": "telegram"}
    ):
        yield w


async def test_root_mount_can_speak_the_getatext_variant(getatext_default: World) -> None:
    w = getatext_default
    assert await w.text(action="getStatus", id="abc") == "BAD_ID"  # Getatext's token
    sa = await w.sa("/sms-activate/stubs/handler_api.php", action="getStatus", id="abc")
    assert sa.text == "WRONG_ACTIVATION_ID"


async def test_service_codes_extend_from_configuration(getatext_default: World) -> None:
    w = getatext_default
    answer = await w.sa("/sms-activate/stubs/handler_api.php", action="getPrices", service="zz")
    assert answer.text == '{"187":{"zz":{"cost":0.45,"count":120,"physicalCount":120}}}'


def test_environment_overrides_and_validation(tmp_path: Path) -> None:
    toml = tmp_path / "smsproxy.toml"
    toml.write_text('port = 9000\nservice_codes = { xx = "whatsapp" }\n')
    settings = config.load(
        toml, env={"SMSPROXY_PORT": "9100", "SMSPROXY_UPSTREAM_URL": "http://vendor"}
    )
    assert (settings.port, settings.upstream_url) == (9100, "http://vendor")
    assert settings.service_codes == {"xx": "whatsapp"}
    klingon = config.load(env={"SMSPROXY_DEFAULT_DIALECT": "klingon"}, data_dir=tmp_path)
    with pytest.raises(ValueError, match="default_dialect must be one of sms-activate, getatext"):
        build_app(klingon)  # the dialects' registry says which exist, where they are mounted
    with pytest.raises(ValueError, match="default_dialect must be one of sms-activate, getatext"):
        describe_config(klingon, {})  # and so does `smsproxy check`
    toml.write_text("colour = 1\n")
    with pytest.raises(ValueError, match="unknown settings: colour"):
        config.load(toml, env={})


def test_fingerprint_secret_is_generated_once(tmp_path: Path) -> None:
    settings = config.load(env={}, data_dir=tmp_path)
    first = config.fingerprint_secret(settings)
    assert first == config.fingerprint_secret(settings) and len(first) == 64
    assert (tmp_path / "secret").stat().st_mode & 0o077 == 0


def test_overrides_are_typed_like_the_file_and_the_environment(tmp_path: Path) -> None:
    settings = config.load(env={}, data_dir=str(tmp_path), port="9001", metrics_enabled="false")
    assert settings.data_dir == tmp_path and settings.port == 9001
    assert settings.metrics_enabled is False
    with pytest.raises(ValueError, match="unknown settings: colour"):
        config.load(env={}, colour="blue")


def test_per_source_settings_are_checked_and_explained(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="trusted_proxies: 'nginx' is not an address or a network"):
        config.load(env={}, data_dir=tmp_path, trusted_proxies=("nginx",))
    with pytest.raises(ValueError, match="client_burst 1 or more"):
        config.load(env={}, data_dir=tmp_path, client_burst=0)
    from_env = config.load(
        env={"SMSPROXY_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1", "SMSPROXY_CLIENT_BURST": "5"},
        data_dir=tmp_path,
    )
    assert (from_env.trusted_proxies, from_env.client_burst) == (("10.0.0.0/8", "127.0.0.1"), 5)
    assert describe_config(from_env, {})[1] == (
        "new keys checked at 2/s, 5/s per source (burst 5), refused ones remembered 300 s; "
        "X-Forwarded-For trusted from 10.0.0.0/8, 127.0.0.1"
    )
    closed = config.load(env={}, data_dir=tmp_path, passthrough_keys=False)
    assert describe_config(closed, {}) == [
        "one getatext provider at the embedded sandbox; no client key passes through",
        f"state in SQLite at {tmp_path / 'smsproxy.db'}; pacing and caches in this process",
    ]
    fleet = config.load(
        env={},
        data_dir=tmp_path,
        store="postgres",
        postgres_url="postgresql://smsproxy:hunter2@db/smsproxy",
        coordination="redis",
        redis_url="redis://:hunter2@redis:6379/0",
        replicas=2,
        secret="one-fleet",
    )
    said = describe_config(fleet, {})
    assert said[-1] == "state in PostgreSQL; coordinated in Redis (prefix smsproxy), 2 replica(s)"
    assert "hunter2" not in "\n".join(said)

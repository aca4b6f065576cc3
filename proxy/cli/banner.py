"""What `smsproxy serve` prints once it listens: where it is, whom it buys from, where
state lives, and lines to try that work for this very configuration (a test runs them,
pasting what getNumber printed for `<id>` and `<number>`)."""

from __future__ import annotations

from urllib.parse import urlsplit

from proxy import __version__
from proxy.app import WILDCARDS, state_of, upstream_url
from proxy.config import Settings

VERSION = __version__
DEMO_KEY = "sk_sandbox_demo"  # the embedded sandbox's account


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _where_keys_are(settings: Settings, config: str | None) -> list[str]:
    """How a client gets a key here, never the key itself."""
    if settings.managed_keys:
        where = f" --config {config}" if config else ""
        return [
            "Client keys are issued: make a first one, and use the key it prints as <key>:",
            f"  .venv/bin/smsproxy keys{where} create --tenant demo",
        ]
    sources = [
        f"the file {t.key_file}" if t.key_file else f"${t.key_env}"
        for t in settings.tenants
        if t.key_file or t.key_env
    ]
    if not sources:
        return ["<key>: a client key of [[tenants]] (configured by its fingerprint)"]
    return [f"<key>: a client key of [[tenants]], as in {' or '.join(sources)}"]


def banner(settings: Settings, config: str | None = None) -> str:
    # listening on every interface (a container): the lines to try use loopback
    host = "127.0.0.1" if settings.host in WILDCARDS else settings.host
    base = f"http://{host}:{settings.port}"
    lines = [f"smsproxy {VERSION} on http://{settings.host}:{settings.port}"]
    if settings.providers:
        ordered = sorted(settings.providers, key=lambda p: p.priority)
        lines.append("Providers, tried in this order:")
        for p in ordered:
            kind = f"{p.kind} ({p.flavour})" if p.flavour else p.kind
            where = " [embedded sandbox]" if p.sandbox else ""
            lines.append(f"  {p.name}: {kind} at {p.base_url}{where}")
        sandboxes = [(p.name, _origin(p.base_url)) for p in ordered if p.sandbox]
        key = "<key>"
        intro = _where_keys_are(settings, config)
    else:
        upstream = upstream_url(settings)
        if settings.uses_embedded_sandbox:
            lines.append(
                f"*** SANDBOX MODE: upstream is the embedded Getatext emulator on {upstream}; "
                "no account, no network, no money. ***"
            )
            sandboxes = [("sandbox", upstream)]
        else:
            lines.append(f"Upstream: {upstream}")
            sandboxes = [("upstream, if it is a sandbox", _origin(upstream))]
        key = DEMO_KEY  # client keys pass through: the sandbox's own
        intro = []
    lines.append(f"State: {state_of(settings)}")
    lines += ["", "Try it (<id> and <number>: what getNumber prints, ACCESS_NUMBER:<id>:<number>):"]
    lines += intro
    handler = f"{base}/stubs/handler_api.php?api_key={key}"
    lines.append(f"  curl -s '{handler}&action=getNumber&service=wa&country=187'")
    if len(sandboxes) > 1:
        lines.append("The SMS goes to the sandbox that sold it (its rentals list it):")
        lines += [f"  curl -s {url}/_sandbox/rentals    # {name}" for name, url in sandboxes]
    for name, url in sandboxes:
        comment = f"    # {name}" if len(sandboxes) > 1 else ""
        sms = '{"number": "<number>", "code": "123456"}'
        lines.append(f"  curl -s -X POST {url}/_sandbox/sms -d '{sms}'{comment}")
    if not sandboxes:
        lines.append("  (no embedded sandbox: the SMS comes from the vendor)")
    lines.append(f"  curl -s '{handler}&action=getStatus&id=<id>'")
    return "\n".join(lines) + "\n"

"""A vendor's words live in its own package: the core and the other vendors never use them.

Markers are words only that vendor uses (its endpoint names, its tokens, its document).
Not scanned: the vendor's own package; `proxy/sandbox/` (the Getatext emulator, which
plays that vendor); the composition root (`proxy/app.py`, `proxy/cli/main.py`), whose banner
and defaults name the demo vendor; and the dialects, which speak protocols of the same
names to clients (the v1 dialect is Getatext's protocol, the SMS-Activate dialect is
that family's).
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MARKERS: dict[str, tuple[str, ...]] = {
    "getatext": (
        "rent-a-number",
        "rent-specific-number",
        "rent-multiple-services",
        "rental-status",
        "rental-completed",
        "prices-info",
        "cancel-rental",
        "getatext-api.txt",
    ),
    "handler_api": (
        "getNumberV2",
        "ACCESS_BALANCE",
        "STATUS_WAIT_CODE",
        "EARLY_CANCEL_DENIED",
        "WRONG_MAX_PRICE",
    ),
}
EXEMPT = (
    "proxy/sandbox/",
    "proxy/app.py",
    "proxy/cli/main.py",
    "proxy/cli/banner.py",
    "adapters/dialects/",
)


def scanned(vendor: str) -> list[Path]:
    own = f"adapters/upstreams/{vendor}/"
    files = [*ROOT.joinpath("proxy").rglob("*.py"), *ROOT.joinpath("adapters").rglob("*.py")]
    return [path for path in files if not str(path.relative_to(ROOT)).startswith((own, *EXEMPT))]


@pytest.mark.parametrize("vendor", sorted(MARKERS))
def test_no_module_outside_the_vendor_package_uses_its_words(vendor: str) -> None:
    found = [
        f"{path.relative_to(ROOT)}: {marker}"
        for path in scanned(vendor)
        for marker in MARKERS[vendor]
        if marker in path.read_text()
    ]
    assert found == []


def test_the_markers_are_the_vendors_own() -> None:
    """Each marker is really used by its vendor package (the list cannot go stale)."""
    for vendor, markers in MARKERS.items():
        package = "\n".join(
            p.read_text() for p in ROOT.joinpath("adapters", "upstreams", vendor).rglob("*.py")
        )
        assert [m for m in markers if m not in package] == [], vendor

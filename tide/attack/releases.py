"""Known official ATT&CK releases: their download URL and sha256 (shipped data, no network)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from tide.attack.data import DATA_DIR

DOMAINS = ("enterprise", "mobile", "ics")


@cache
def _releases() -> dict[str, Any]:
    text = (DATA_DIR / "releases.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def latest() -> str:
    return str(_releases()["latest"])


def expected_sha256(domain: str, version: str) -> str | None:
    """The published sha256 of `<domain>-attack-<version>.json`, None for an unknown release."""
    found = _releases()["sha256"].get(domain, {}).get(version)
    return str(found) if found else None


def known_versions(domain: str) -> list[str]:
    versions = _releases()["sha256"].get(domain, {})
    return sorted(versions, key=lambda v: tuple(int(part) for part in v.split(".")))


def release_url(domain: str, version: str, pattern: str = "") -> str:
    """The download URL; `pattern` (with {domain} and {release}) overrides the official one."""
    return (pattern or str(_releases()["url"])).format(domain=domain, release=version)

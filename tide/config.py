"""Project settings from `[tool.tide]` in the project's pyproject.toml.

Keys (all optional):
  attack = "path/to/attack.json.gz"       ATT&CK data to use instead of the cache/shipped one
  organisation = { uuid = "...", name = "..." }  default MISP creator org for vectors without one
  repo_url = "https://..."                  repository URL for the site's edit links
  edit_uri = "edit/main/objects/"           path of objects within the repository
  site_name = "..."                         title of the MkDocs site
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ConfigError(Exception):
    """A broken project setting: the CLI reports it and exits 2."""


@dataclass(frozen=True)
class Config:
    root: Path
    attack: Path | None = None
    organisation_uuid: str = ""
    organisation_name: str = ""
    repo_url: str = ""
    edit_uri: str = ""
    site_name: str = "OpenTide threat vectors"
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


def load_config(root: Path) -> Config:
    """Read `[tool.tide]` from `root/pyproject.toml`; a missing file or table gives defaults."""
    path = root / "pyproject.toml"
    if not path.is_file():
        return Config(root=root)
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {}).get("tide", {})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read [tool.tide]: {exc}") from exc
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.tide] must be a table")
    org = table.get("organisation", {})
    if not isinstance(org, dict):
        raise ConfigError(f"{path}: tool.tide.organisation must be a table with uuid and name")
    attack = table.get("attack")
    return Config(
        root=root,
        attack=(root / str(attack)) if attack else None,
        organisation_uuid=str(org.get("uuid", "")),
        organisation_name=str(org.get("name", "")),
        repo_url=str(table.get("repo_url", "")),
        edit_uri=str(table.get("edit_uri", "")),
        site_name=str(table.get("site_name", Config.site_name)),
        raw=table,
    )

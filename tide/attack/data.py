"""The ATT&CK data a build works with: techniques of one or more domains, and where they came from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tide.diagnostics import Severity
from tide.model import AttackInfo, Tactic, Technique

# The shipped snapshots, MITRE's notice and the release checksums.
DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "attack"


class AttackDataError(Exception):
    """ATT&CK data that cannot be read, imported or downloaded; the message says why."""


@dataclass(frozen=True)
class Source:
    """One snapshot in use: what it holds and where it was read from."""

    info: AttackInfo
    path: str  # the file read
    origin: str  # "explicit", "project", "cache" or "shipped"
    techniques: int  # how many technique entries it has (revoked and deprecated included)


@dataclass(frozen=True)
class AttackData:
    """Techniques keyed by id ("T1562.008"), tactics in matrix order.

    `info` describes the primary snapshot (enterprise, unless an explicit file says otherwise);
    `sources` lists every snapshot merged in, primary first.
    """

    info: AttackInfo
    techniques: Mapping[str, Technique]
    tactics: tuple[Tactic, ...]
    sources: tuple[Source, ...] = field(default=())

    def get(self, technique_id: str) -> Technique | None:
        return self.techniques.get(technique_id.strip().upper())

    def replacement(self, technique_id: str) -> Technique | None:
        """The technique that now stands for a revoked or deprecated one, following chains of
        replacements to a current technique; None when there is none (or the chain loops)."""
        current = self.get(technique_id)
        seen: set[str] = set()
        while current is not None and (current.revoked or current.deprecated):
            if current.id in seen or not current.revoked_by:
                return None
            seen.add(current.id)
            current = self.get(current.revoked_by)
        if current is None or not seen:
            return None
        return current

    def versions(self) -> str:
        """"enterprise-attack 19.0, ics-attack 18.1" for summaries."""
        infos = [source.info for source in self.sources] or [self.info]
        return ", ".join(f"{info.domain} {info.version}" for info in infos)

    def diagnose(self, technique_id: str) -> tuple[Severity, str, str] | None:
        """(severity, code, message) when a cited technique id is not a current technique."""
        technique = self.get(technique_id)
        if technique is None:
            return (Severity.ERROR, "attack-unknown",
                    f"unknown ATT&CK technique {technique_id} (not in {self.versions()})")
        if not (technique.revoked or technique.deprecated):
            return None
        state = "revoked" if technique.revoked else "deprecated"
        release = next((f" in {s.info.domain} {s.info.version}" for s in self.sources
                        if s.info.domain == technique.domain), "")
        new = self.replacement(technique_id)
        advice = f"use {new.id} ({new.full_name})" if new is not None else "it has no replacement"
        return (Severity.WARNING, f"attack-{state}",
                f"ATT&CK technique {technique.id} ({technique.full_name}) is {state}{release}; {advice}")

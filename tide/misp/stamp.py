"""Timestamps MISP's feed fetcher accepts as updates, without wall-clock time.

A subscriber re-fetches an event only when its manifest timestamp is newer than its copy, and then
saves each attribute, object and report only when that element's timestamp is newer too. So:

- an event first gets `base` (midnight UTC of `modified` + `version` seconds) everywhere;
- against the previous build's feed, an event whose content is unchanged keeps every timestamp it
  had (byte-identical output); a changed one gets max(base, previous + 1), and inside it only the
  elements that changed (or appeared) get that new timestamp, the others keep theirs;
- elements the previous build published and this one no longer has are kept, marked `deleted`,
  because MISP never removes what an update merely leaves out.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_STAMPS = ("timestamp", "publish_timestamp")
# The event's element lists, and the one kind of element that nests attributes.
_LISTS = ("Attribute", "Object", "EventReport")

Json = dict[str, Any]


V = TypeVar("V")


class _Lazy(Mapping[str, V]):
    """Values by key, each made by `make(key)` the first time it is asked for; a key whose value
    cannot be made (None) is left out, as if missing. The previous feed's files and events are
    read this way: an unchanged vector whose event comes from the build cache never needs its old
    event read or parsed."""

    def __init__(self, keys: Iterable[str], make: Callable[[str], V | None]) -> None:
        self._keys = keys
        self._make = make
        self._made: dict[str, V | None] = {}

    def _get(self, key: str) -> V | None:
        if key not in self._made:
            self._made[key] = self._make(key) if key in self._keys else None
        return self._made[key]

    def __getitem__(self, key: str) -> V:
        value = self._get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[str]:
        return (key for key in sorted(self._keys) if self._get(key) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _event_file(folder: Path, digests: dict[str, str | None], key: str) -> bytes | None:
    """An event's file, unless it is missing or its bytes do not match the manifest's hash."""
    try:
        data = (folder / f"{key}.json").read_bytes()
    except OSError:
        return None
    expected = digests[key]
    return None if expected is not None and hashlib.sha256(data).hexdigest() != expected else data


def _event(raw: Mapping[str, bytes], key: str) -> Json | None:
    """An event's "Event" object, if it is one with this uuid and a timestamp."""
    try:
        event = json.loads(raw[key]).get("Event")
    except (KeyError, ValueError, AttributeError):
        return None
    ok = _well_formed(event) and event.get("uuid") == key and _int(event.get("timestamp")) is not None
    return event if ok else None


@dataclass(frozen=True)
class PreviousFeed:
    """What the last build published: manifest timestamps, and the events that could be read."""

    timestamps: dict[str, int]  # event uuid -> manifest timestamp
    events: Mapping[str, Json] = field(default_factory=dict)  # event uuid -> its "Event" object
    raw: Mapping[str, bytes] = field(default_factory=dict)  # event uuid -> the bytes of its file
    # event uuid -> the manifest's SHA-256 of its file: it stands for the file in the build
    # cache's keys, so that an unchanged event's old file is never read.
    digests: dict[str, str] = field(default_factory=dict)


def read_previous_feed(misp_dir: Path) -> PreviousFeed | None:
    """Read `misp_dir/manifest.json`; the events it lists are read when first asked for. Anything
    missing or corrupt is left out (a whole unreadable manifest gives None): a broken old feed must
    never stop a build."""
    try:
        manifest = json.loads((misp_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return previous_feed(misp_dir, manifest) if isinstance(manifest, dict) else None


def previous_feed(misp_dir: Path, manifest: Mapping[str, Any]) -> PreviousFeed:
    """The feed in `misp_dir` as `manifest` (its manifest.json, or the part of it a caller needs)
    lists it: entries that are not well-formed are left out."""
    timestamps: dict[str, int] = {}
    digests: dict[str, str | None] = {}
    for key, entry in manifest.items():
        stamp = _int(entry.get("timestamp")) if isinstance(entry, dict) else None
        if not _UUID.match(str(key)) or stamp is None:
            continue
        timestamps[key] = stamp
        digest = entry.get("integrity:sha256")
        digests[key] = digest if isinstance(digest, str) and _SHA256.match(digest) else None
    raw = _Lazy(digests, partial(_event_file, misp_dir, digests))
    return PreviousFeed(timestamps, _Lazy(raw, partial(_event, raw)), raw,
                        {k: d for k, d in digests.items() if d is not None})


def _well_formed(event: Any) -> bool:
    """The shape stamping relies on: element lists of objects, objects holding attribute lists."""

    def objects(value: Any) -> bool:
        return isinstance(value, list) and all(isinstance(item, dict) for item in value)

    if not isinstance(event, dict) or not all(objects(event.get(kind, [])) for kind in _LISTS):
        return False
    return all(objects(obj.get("Attribute", [])) for obj in event.get("Object", []))


def stamp_event(event: Json, previous: Json | None, floor: int | None, base: int) -> None:
    """Set every timestamp of `event` (a feed "Event" object stamped with `base` throughout).

    `previous` is the same event in the last build, `floor` its published timestamp (None when it
    was never published)."""
    if previous is not None:
        _carry_deleted(event, previous)
        if _strip(event) == _strip(previous):
            _set_event_stamp(event, str(previous["timestamp"]))
            old = _elements(previous)
            for key, element in _elements(event).items():
                element["timestamp"] = old[key].get("timestamp", previous["timestamp"])
            return
        floor = max(floor or 0, _int(previous.get("timestamp")) or 0)
    if floor is None:
        return  # first publication: `base` everywhere
    new = str(max(base, floor + 1))
    _set_event_stamp(event, new)
    old = _elements(previous) if previous is not None else {}
    for key, element in _elements(event).items():
        before = old.get(key)
        unchanged = before is not None and _strip(before) == _strip(element)
        element["timestamp"] = before.get("timestamp", new) if before is not None and unchanged else new


def _set_event_stamp(event: Json, stamp: str) -> None:
    event["timestamp"] = stamp
    event["publish_timestamp"] = stamp


def _elements(event: Json) -> dict[tuple[str, str], Json]:
    """Every timestamped element by kind and uuid."""
    found: dict[tuple[str, str], Json] = {}
    for kind in _LISTS:
        for element in event.get(kind, []):
            found[(kind, str(element.get("uuid")))] = element
            for attribute in element.get("Attribute", []) if kind == "Object" else []:
                found[("Object/Attribute", str(attribute.get("uuid")))] = attribute
    return found


def _carry_deleted(event: Json, previous: Json) -> None:
    for kind in _LISTS:
        now = event.get(kind, [])
        _append_gone(now, previous.get(kind, []))
        if now:
            event[kind] = now
    olds = {str(obj.get("uuid")): obj for obj in previous.get("Object", [])}
    for obj in event.get("Object", []):
        before = olds.get(str(obj.get("uuid")))
        if before is not None:
            attributes = obj.get("Attribute", [])
            _append_gone(attributes, before.get("Attribute", []))
            obj["Attribute"] = attributes


def _append_gone(now: list[Json], before: list[Json]) -> None:
    """Add what `before` had and `now` lacks, as deleted; say so explicitly when one comes back,
    and keep saying so: made again against its own output, an event must come out unchanged."""
    marked = {str(old.get("uuid")) for old in before if "deleted" in old}
    for element in now:
        if str(element.get("uuid")) in marked:
            element.setdefault("deleted", False)
    present = {str(element.get("uuid")) for element in now}
    for old in before:
        if str(old.get("uuid")) not in present:
            gone = copy.deepcopy(old)
            gone["deleted"] = True
            now.append(gone)


def _strip(node: Any) -> Any:
    """The content without its timestamps: what decides whether something changed."""
    if isinstance(node, dict):
        return {key: _strip(value) for key, value in node.items() if key not in _STAMPS}
    if isinstance(node, list):
        return [_strip(value) for value in node]
    return node


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None

"""The MISP feed of a catalogue: `<event-uuid>.json` per vector, `manifest.json` and `hashes.csv`."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from json.encoder import encode_basestring as _string
from typing import TYPE_CHECKING, Any, TypeGuard

from tide.cache import Memo
from tide.config import Config, ConfigError
from tide.jsontext import compact, indented
from tide.misp.event import event_dict
from tide.misp.mapping import base_timestamp, event_uuid
from tide.misp.stamp import PreviousFeed, stamp_event
from tide.model import Catalogue, Organisation, Vector
from tide.shares import Share, every

if TYPE_CHECKING:
    from tide.output import FolderCarryover

# The manifest carries these fields of each event (misp-rfc "Manifest"), plus an integrity hash.
_MANIFEST_FIELDS = ("Orgc", "Tag", "info", "date", "analysis", "threat_level_id", "timestamp")


class MispExportError(ConfigError):
    """The catalogue cannot be exported as configured: the CLI reports it as a configuration error."""


def export_misp(
    catalogue: Catalogue, config: Config, previous: PreviousFeed | None = None, memo: Memo | None = None
) -> dict[str, bytes]:
    """Every file of the feed, by its name inside the feed directory (see `iter_misp`)."""
    files = {}
    for name, data in iter_misp(catalogue, config, previous, memo):
        assert data is not None  # nothing is carried over without a carry
        files[name] = data
    return files


def iter_misp(
    catalogue: Catalogue, config: Config, previous: PreviousFeed | None = None, memo: Memo | None = None,
    carry: FolderCarryover | None = None,
) -> Iterator[tuple[str, bytes | None]]:
    """The files of the feed one at a time, events first, so that a caller can write each and
    let it go (10,000 events are about 150 MB).

    With a `memo`, an event whose inputs (the enriched vector, its creator and the event the
    previous feed holds for it) are those of an earlier build is taken from there instead of
    being built, stamped and dumped again; with a `carry` too, its file is taken over from the
    previous output and comes as None (its manifest entry and hashes kept with it)."""
    done: list[EventDone] = []
    for event in misp_events(catalogue, config, previous, memo, carry):
        done.append(event[:3])
        yield event[3], event[4]
    yield from misp_index(done)


# An event made or taken over: its uuid, manifest entry (as JSON) and hashes.csv lines (one
# string). The entry travels as JSON, written once: between processes, into the carry-over record
# and into the manifest, a string costs a fraction of the dict (10,000 entries are 14 MB of JSON);
# the lines as one string, a fraction of a list of them (100,000 lines at 10,000 events).
EventDone = tuple[str, str, str]


def misp_events(
    catalogue: Catalogue, config: Config, previous: PreviousFeed | None = None, memo: Memo | None = None,
    carry: FolderCarryover | None = None, share: Share = every,
) -> Iterator[tuple[str, str, str, str, bytes | None]]:
    """The event files of `iter_misp` (those of `share`, by index in event uuid order, so that
    processes can share them out): (uuid, manifest entry as JSON, hashes, file name, data or None)."""
    ordered = sorted(((event_uuid(v.uuid), v) for v in catalogue.vectors), key=lambda pair: pair[0])
    for index, (uuid, vector) in enumerate(ordered):
        if not share(index):
            continue
        org = creator(vector, config)
        made_from = _made_from(vector, org) if memo is not None else ""
        key = _memo_key(made_from, previous, uuid) if memo is not None else ""
        name = f"{uuid}.json"
        if key and carry is not None and carry.take(name, key, kept_event):
            entry, event_hashes = carry.extra(name)[:2]
            yield uuid, entry, event_hashes, name, None
            continue
        if key and previous is not None and uuid in previous.digests and uuid not in previous.raw:
            # Its previous file is not the one the manifest lists (edited by hand, or gone): the
            # event is made as if it could not be read, and must not come from the memo as if it was.
            key = _against(made_from, previous.timestamps.get(uuid, -1), b"unreadable\0")
        kept = memo.get(key) if memo is not None else None
        if _made_event(kept):
            data, entry, event_hashes, stamp = kept
        else:
            data, entry, event_hashes, stamp = done = _event_file(vector, org, previous, uuid)
            if memo is not None:
                memo.put(key, done)
        if key and carry is not None:
            carry.keyed(name, key, (entry, event_hashes, made_from, stamp, hashlib.sha256(data).hexdigest()))
        yield uuid, entry, event_hashes, name, data


def kept_event(kept: Any) -> bool:
    """What is kept with a carried event: its manifest entry (JSON), its hashes.csv lines, the
    digest of what it was made from (`_made_from`), its timestamp and the SHA-256 of its file."""
    return (isinstance(kept, tuple) and len(kept) == 5 and isinstance(kept[0], str) and isinstance(kept[1], str)
            and isinstance(kept[2], str) and isinstance(kept[3], int) and isinstance(kept[4], str))


def next_key(kept: tuple[str, str, str, int, str]) -> str:
    """The key the next build gives an event taken over now (its file then being the previous
    feed's). An event made against itself comes out as it was (stamp.stamp_event), so what the
    event was made from stays what it is made from."""
    return _against(kept[2], kept[3], kept[4].encode())


def _made_event(done: Any) -> TypeGuard[tuple[bytes, str, str, int]]:
    """What the memo keeps of an event: its file, manifest entry (JSON), hashes.csv lines, timestamp."""
    return (isinstance(done, tuple) and len(done) == 4 and isinstance(done[0], bytes) and isinstance(done[1], str)
            and isinstance(done[2], str) and isinstance(done[3], int))


def misp_index(events: Iterable[EventDone]) -> Iterator[tuple[str, bytes]]:
    """`manifest.json` and `hashes.csv` of the feed's events, in uuid order."""
    # What json.dumps(manifest, sort_keys=True, ensure_ascii=False, separators=(",", ":")) writes,
    # from entries written alike (jsontext.compact). One line: a program reads it, and indenting
    # makes Python's JSON encoder fall back to pure Python, two seconds for 10,000 events. Events
    # stay indented, for people reading them. The parts are joined once: at 10,000 events the
    # manifest is 14 MB, and each copy of it costs milliseconds on the one core still working.
    parts: list[str] = []  # ",", key, ":", entry for each event
    hashes: list[str] = []
    last = None
    for uuid, entry, event_hashes in sorted(events, key=lambda e: e[0]):
        if uuid == last:
            raise MispExportError(f"two vectors make the event {uuid}: their uuids are the same")
        last = uuid
        parts += (",", _string(uuid), ":", entry)
        hashes.append(event_hashes)
    yield "manifest.json", "".join(["{", *parts[1:], "}\n"]).encode("utf-8")
    yield "hashes.csv", "".join(hashes).encode("utf-8")


def _event_file(vector: Vector, org: Organisation, previous: PreviousFeed | None,
                uuid: str) -> tuple[bytes, str, str, int]:
    """One event: its file, its manifest entry (JSON), its hashes.csv lines and its timestamp."""
    base = base_timestamp(vector)
    event = event_dict(vector, org, base)
    if previous is not None:
        stamp_event(event, previous.events.get(uuid), previous.timestamps.get(uuid), base)
    data = indented({"Event": event})
    entry = {key: event[key] for key in _MANIFEST_FIELDS}
    entry["integrity:sha256"] = hashlib.sha256(data).hexdigest()
    hashes = "".join(f"{digest},{uuid}\n" for digest in value_hashes(event))
    return data, compact(entry), hashes, int(event["timestamp"])


def _made_from(vector: Vector, org: Organisation) -> str:
    """What an event is made from besides the previous feed. The cache directory's fingerprint
    already covers tide's code and data and the ATT&CK release; under it, a vector is its source
    text and path plus what enrichment took from other vectors (its slug, its chain targets'
    names and slugs)."""
    digest = hashlib.sha256()
    for part in (vector.source_text, vector.path, vector.slug, org.uuid, org.name,
                 *(f"{c.target_uuid}|{c.target_name}|{c.target_slug}" for c in vector.chaining)):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


def _memo_key(made_from: str, previous: PreviousFeed | None, uuid: str) -> str:
    """Everything an event is a function of: what it is made from, and the previous feed's event
    by its manifest timestamp and hash (its file is read only when there is no hash)."""
    if previous is None:
        return made_from
    known = previous.digests.get(uuid)
    return _against(made_from, previous.timestamps.get(uuid, -1),
                    known.encode() if known else b"file\0" + previous.raw.get(uuid, b""))


def _against(made_from: str, stamp: int, previous: bytes) -> str:
    return hashlib.sha256(b"%s\0%d\0%s" % (made_from.encode(), stamp, previous)).hexdigest()


def creator(vector: Vector, config: Config) -> Organisation:
    """The vector's own organisation, else the project's configured default."""
    if vector.organisation is not None:
        return vector.organisation
    if config.organisation_uuid and config.organisation_name:
        return Organisation(uuid=config.organisation_uuid, name=config.organisation_name)
    raise MispExportError(
        f"{vector.path}: no metadata.organisation and no default in [tool.tide] organisation"
        " = { uuid = ..., name = ... }: a MISP event needs a creator organisation"
    )


def value_hashes(event: dict[str, Any]) -> list[str]:
    """MD5 of every live attribute value, as MISP's and PyMISP's feed generators write hashes.csv
    (composite `a|b` values hash each part)."""
    attributes = list(event.get("Attribute", []))
    for obj in event.get("Object", []):
        if not obj.get("deleted"):
            attributes += obj.get("Attribute", [])
    digests: list[str] = []
    for attribute in attributes:
        if attribute.get("deleted"):
            continue
        value = str(attribute["value"])
        composite = "|" in attribute["type"] or attribute["type"] == "malware-sample"
        parts = value.split("|") if composite else [value]
        digests += [hashlib.md5(part.encode("utf-8"), usedforsecurity=False).hexdigest() for part in parts]
    return digests



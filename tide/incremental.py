"""Quick rebuild: after an edit that only a few outputs show, make those again and take the rest
over from the previous output.

A full build with the cache leaves a `Record` of what it built, beside the carry-over record
(output.Carryover): each source's file identity (taken before it was read), uuid, listing digest
(what catalogue pages print of its vector: render.memo) and diagnostics; each vector's name, slug
and chain targets; the actor and vocabulary-value slugs, which depend on the whole catalogue; the
identity of the output files made without a key (index.json, the layers, the feed's index).

`quick_build` serves the next `build --no-site` into the same directory when tide's code, the
ATT&CK data, the templates, the settings and the set of source files are the same, and every
source that changed checks without errors and keeps its uuid and listing digest. Then only
fields that no catalogue page prints changed (its texts, references or metadata), or nothing
did: of all outputs, only its own page, the pages of the vectors chained with it (their graph
and chaining table print it), its MISP event and its record in index.json show those, and the
feed's manifest and hashes.csv list every event. Those are made again, the pages from the
vectors within two chaining hops (a neighbour's page shows the neighbour's own neighbours);
every other file is hard-linked from the previous output after the checks a full build makes
before taking a file over. Anything else gives None, and the caller makes the full build.
Tests compare each kind of edit with a full build, byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import tide
from tide.build import Checked, Result, _check_chunk
from tide.cache import Cache, fingerprint
from tide.config import Config
from tide.diagnostics import Diagnostic
from tide.enrich import catalogue_order, link_known
from tide.index_json import patch_index_json
from tide.load import discover
from tide.model import Catalogue, Vector
from tide.output import Carryover, FileIdentity, Staging, file_identity, in_two
from tide.pack import PackError, unpack
from tide.shares import every
from tide.validate import TechniqueLookup

FORMAT = 1  # bump when Record changes
# More changed files than this make the full build: at 10,000 vectors, 10 edits took 0.95 s here,
# 50 took 1.4 s and 150 took 2.2 s, where the full build with the cache takes about 3 s.
MAX_CHANGED = 100
MAX_VECTORS = 2_000  # more vectors to read around the changed ones than this: the full build

SourceIdentity = tuple[int, int, int, int]  # inode, size, modification and change times (ns)
CarryRecord = dict[str, tuple[str, int, int, int, Any]]  # output.Carryover.record()


@dataclass
class Record:
    """What the next quick build needs of the last build (see the module docstring)."""

    setup: tuple[Any, ...]  # everything else the outputs depend on (`setup`)
    sources: dict[str, tuple[SourceIdentity, str, str]]  # path -> identity, uuid, listing; discovery order
    diagnostics: dict[str, list[Diagnostic]]  # by path, for the files that have any
    names: dict[str, tuple[str, str]]  # vector uuid -> name, slug
    chains: dict[str, tuple[str, ...]]  # vector uuid -> the uuids its chaining names
    actor_slugs: dict[tuple[str, str], str]
    entry_slugs: dict[tuple[str, str], str]
    plain: dict[str, FileIdentity]  # output files made without a key (not in the carry-over record)


def setup(memo_key: str, templates: Path, config: Config) -> tuple[Any, ...]:
    """What a build's outputs depend on besides its sources: the cache fingerprint (ATT&CK data,
    vocabularies, the checking and MISP code), every module of tide (a quick build takes over the
    layers and index.json, which no key covers), the templates and the settings."""
    from tide.render.memo import setup_digest

    package = Path(tide.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return FORMAT, memo_key, digest.hexdigest(), str(templates.absolute()), setup_digest(templates, "portable"), config


def record_store(config: Config, memo_key: str, out: Path) -> tuple[Cache, str]:
    """Where the records of builds into `out` are kept, and under which key."""
    key = hashlib.sha256(str(out.absolute()).encode("utf-8", "surrogatepass")).hexdigest()
    return Cache.of_project(config.root, memo_key, kind="outputs"), key


def stored(store: Cache, key: str) -> tuple[CarryRecord | None, Record | None]:
    """The carry-over record and the build record kept under `key` (either may be missing).
    A full build after a quick attempt reads them once: they are 26 MB at 10,000 vectors."""
    path = store.dir / key[:2] / key
    try:
        found = os.stat(path)
        identity = (str(path), found.st_ino, found.st_size, found.st_mtime_ns)
    except OSError:
        return None, None
    if _LAST and _LAST[0][0] == identity:
        return _LAST[0][1]
    value = store.get(key)
    records: tuple[CarryRecord | None, Record | None] = (None, None)
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], dict):
        records = value[0], value[1] if isinstance(value[1], Record) else None
    _LAST[:] = [(identity, records)]
    return records


_LAST: list[tuple[tuple[str, int, int, int], tuple[CarryRecord | None, Record | None]]] = []


def forget() -> None:
    """Let the records `stored` read go (`tide serve` lives on)."""
    _LAST.clear()


RACY_NS = 100_000_000  # a source changed this recently when its identity is taken: see below
UNKNOWN: SourceIdentity = (0, 0, 0, 0)  # matches no file: the source is checked again next time


def source_identities(paths: Iterable[str]) -> dict[str, SourceIdentity]:
    """Taken before the sources are read: a change after it then shows at the next build. The
    change time moves with any write and cannot be set back, unlike the modification time. File
    times tick coarsely, though: a source changed just before (in the same tick) could change
    again, at the same size, without its times moving. Such a source is recorded as UNKNOWN.
    Raises OSError."""
    now = time.time_ns()
    found = {}
    for path in paths:
        status = os.stat(path)
        racy = status.st_ctime_ns >= now - RACY_NS or status.st_mtime_ns >= now - RACY_NS
        found[path] = UNKNOWN if racy else (status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)
    return found


def make_record(setup_key: tuple[Any, ...], sources: Mapping[str, SourceIdentity], vectors: Iterable[Vector],
                listings: Mapping[str, str], diagnostics: Iterable[Diagnostic],
                actor_slugs: dict[tuple[str, str], str], entry_slugs: dict[tuple[str, str], str],
                plain: dict[str, FileIdentity]) -> Record | None:
    """The record of a full build that succeeded; None when a source has no listing digest."""
    by_path = {v.path: v for v in vectors}
    if not all(path in by_path and path in listings for path in sources):
        return None
    return Record(
        setup=setup_key,
        sources={path: (identity, by_path[path].uuid, listings[path]) for path, identity in sources.items()},
        diagnostics=_by_path(diagnostics),
        names={v.uuid: (v.name, v.slug) for v in by_path.values()},
        chains={v.uuid: tuple(c.target_uuid for c in v.chaining) for v in by_path.values() if v.chaining},
        actor_slugs=actor_slugs, entry_slugs=entry_slugs, plain=plain)


def quick_build(paths: list[Path], out: Path, config: Config, attack_file: Path | None,
                templates: Path) -> Result | None:
    """The `build --no-site` of `paths` into `out` made from the last build's record, or None
    (nothing written) when the full build is needed."""
    from tide.attack import load_attack

    attack = load_attack(attack_file, config)
    memo_key = fingerprint(attack.versions(), *(str(s) for s in attack.sources))
    store, key = record_store(config, memo_key, out)
    before, record = stored(store, key)
    if before is None or record is None or record.setup != setup(memo_key, templates, config):
        return None
    files, problems = discover(paths)
    names = [path.as_posix() for path in files]
    if problems or names != list(record.sources):
        return None
    try:
        identities = source_identities(names)
    except OSError:
        return None
    changed = [name for name in names
               if identities[name] == UNKNOWN or identities[name] != record.sources[name][0]]
    if len(changed) > MAX_CHANGED:
        return None
    fresh = _vectors(changed, attack, attack_file, config, memo_key, record)
    if fresh is None:
        return None
    remake, needed = _around(record, [v.uuid for v, _ in fresh.values()])
    if len(needed) > MAX_VECTORS:
        return None
    path_of = {uuid: path for path, (_, uuid, _) in record.sources.items()}
    others = _vectors(sorted(path_of[u] for u in needed if path_of[u] not in fresh), attack, attack_file, config,
                      memo_key, record)
    if others is None:
        return None
    vectors = [v for v, _ in (*fresh.values(), *others.values())]
    built = _write(out, config, templates, memo_key, attack, record, before, vectors, remake,
                   [v for v, _ in fresh.values()])
    if built is None:
        return None
    files_after, plain = built
    diagnostics = [d for path, found in record.diagnostics.items() if path not in fresh for d in found]
    diagnostics += [d for _, found in fresh.values() for d in found]
    sources = {**record.sources, **{path: (identities[path], vector.uuid, record.sources[path][2])
                                    for path, (vector, _) in fresh.items()}}
    store.put(key, (files_after, Record(record.setup, sources, _by_path(diagnostics), record.names, record.chains,
                                        record.actor_slugs, record.entry_slugs, plain)))
    forget()
    return Result(diagnostics=sorted(diagnostics), files=len(names), attack=attack.info, cache_key=memo_key,
                  built=True, quick=True)


def _by_path(diagnostics: Iterable[Diagnostic]) -> dict[str, list[Diagnostic]]:
    found: dict[str, list[Diagnostic]] = defaultdict(list)
    for diagnostic in diagnostics:
        found[diagnostic.path].append(diagnostic)
    return dict(found)


def _around(record: Record, changed: list[str]) -> tuple[set[str], set[str]]:
    """The vectors whose pages show the `changed` ones (themselves and their neighbours along the
    chaining, both ways), and the vectors those pages read (the neighbours of those)."""
    inbound: dict[str, list[str]] = defaultdict(list)
    for source, targets in record.chains.items():
        for target in targets:
            inbound[target].append(source)

    def near(uuids: Iterable[str]) -> set[str]:
        return {n for u in uuids for n in (u, *record.chains.get(u, ()), *inbound.get(u, ()))}

    remake = near(changed)
    return remake, near(remake)


def _vectors(paths: list[str], attack: TechniqueLookup, attack_file: Path | None, config: Config, memo_key: str,
             record: Record) -> dict[str, tuple[Vector, list[Diagnostic]]] | None:
    """The vectors of `paths`, linked with the recorded names and slugs (from the check cache, or
    checked again), with their diagnostics; None if one has errors or is not the recorded vector."""
    found: dict[str, tuple[Vector, list[Diagnostic]]] = {}
    checked: list[Checked] = _check_chunk([Path(p) for p in paths], attack_file, config, True, memo_key, False)
    for path, (vector, diagnostics, _) in zip(paths, checked, strict=True):
        try:
            if isinstance(vector, bytes):
                vector = unpack(vector, attack)
        except PackError:
            return None
        if vector is None or any(d.is_error for d in diagnostics) or vector.uuid != record.sources[path][1]:
            return None
        try:
            link_known(vector, record.names)
        except KeyError:  # chaining to a vector that is not in the catalogue
            return None
        found[path] = vector, diagnostics
    return found


def _write(out: Path, config: Config, templates: Path, memo_key: str, attack: Any, record: Record,
           before: CarryRecord, vectors: list[Vector], remake: set[str],
           changed: list[Vector]) -> tuple[CarryRecord, dict[str, FileIdentity]] | None:
    """Make the pages of `remake` (uuids) and the events of `changed`, take every other file over,
    and swap the result in; what the next build's records need, or None if the output is not as
    the record says (nothing is swapped in then)."""
    from tide.misp.feed import EventDone, kept_event, misp_events, misp_index, next_key
    from tide.misp.mapping import event_uuid
    from tide.misp.stamp import previous_feed
    from tide.render import carry_markdown, vector_page
    from tide.render.lookup import build_lookup
    from tide.render.memo import PageKeys, setup_digest
    from tide.site_carry import FOLDER as SITE
    from tide.vocabularies import load_vocabularies

    vocabularies = load_vocabularies()
    ordered = catalogue_order(vectors)
    look = build_lookup(Catalogue(tuple(ordered), vocabularies, attack.info))
    look.actor_slugs, look.entry_slugs = record.actor_slugs, record.entry_slugs  # the whole catalogue's
    look.catalogue = Catalogue(tuple(v for v in ordered if v.uuid in remake), vocabularies, attack.info)
    keys = PageKeys(look, setup_digest(templates, "portable"))
    if any(keys.listing(v) != record.sources[v.path][2] for v in changed):
        return None  # a field catalogue pages print changed: they must be made again
    changed_events = [event_uuid(v.uuid) for v in changed]
    events = {f"misp/{uuid}.json" for uuid in changed_events}
    index = {"misp/manifest.json", "misp/hashes.csv", "index.json"}
    made = {f"markdown/{vector_page(v)}" for v in look.catalogue.vectors} | events | index
    # Both are read: they must be the files recorded (the previous feed is read from its manifest).
    if any(_identity(out / rel) != record.plain.get(rel) for rel in ("misp/manifest.json", "index.json")):
        return None
    listing = patch_index_json((out / "index.json").read_bytes(), changed, vector_page, config.root.absolute())
    feed = {rel[5:-5]: kept for rel, (*_, kept) in before.items() if rel.startswith("misp/")}
    if listing is None or not all(kept_event(kept) for kept in feed.values()):
        return None  # not the files or the record a build of this code made
    try:  # the previous feed as far as the changed events need it: their manifest entries
        previous = previous_feed(out / "misp", {uuid: json.loads(feed[uuid][0]) for uuid in changed_events})
    except (KeyError, ValueError):
        return None
    with Staging(out) as stage:
        carry = Carryover(stage, before)
        # The site a build with it left (tide.site_carry) is not part of a --no-site build's output.
        taken = [(rel, (inode, size, mtime)) for rel, (_, inode, size, mtime, _) in before.items()
                 if rel not in made and not rel.startswith(f"{SITE}/")]
        taken += [(rel, identity) for rel, identity in record.plain.items() if rel not in made]
        # The events (one folder) in a second process, the rest here (see output.in_two).
        if not in_two(partial(_take, stage), [(r, i) for r, i in taken if not r.startswith("misp/")],
                      [(r, i) for r, i in taken if r.startswith("misp/")]):
            return None
        plain = dict(record.plain)
        pages = carry.under("markdown")
        render_memo = Cache.of_project(config.root, memo_key, "render")
        for rel, page in carry_markdown(look.catalogue, templates, "portable", render_memo, pages, every, False, look):
            if page is not None:
                carry.wrote(f"markdown/{rel}", stage.write(f"markdown/{rel}", page))
        done: list[EventDone] = [(uuid, kept[0], kept[1]) for uuid, kept in feed.items()
                                 if f"misp/{uuid}.json" not in events]
        ordered_changed = Catalogue(tuple(catalogue_order(changed)), vocabularies, attack.info)
        misp_memo = Cache.of_project(config.root, memo_key, "misp")
        for uuid, listed, hashes, name, data in misp_events(ordered_changed, config, previous, misp_memo,
                                                            carry.under("misp")):
            done.append((uuid, listed, hashes))
            if data is not None:
                carry.wrote(f"misp/{name}", stage.write(f"misp/{name}", data))
        for rel, data in [*((f"misp/{rel}", data) for rel, data in misp_index(done)), ("index.json", listing)]:
            plain[rel] = file_identity(stage.write(rel, data))
        stage.commit()
    files = {**before, **carry.record()}
    for rel, (_, inode, size, mtime, kept_with) in files.items():
        if rel.startswith("misp/"):  # what a full build would key this event by next time
            files[rel] = (next_key(kept_with), inode, size, mtime, kept_with)
    return files, plain


def _identity(path: Path) -> FileIdentity | None:
    try:
        return file_identity(os.stat(path))
    except OSError:
        return None


def _take(stage: Staging, files: list[tuple[str, FileIdentity]]) -> bool:
    """Take files of the previous output over; False at the first that is not as recorded."""
    return all(stage.take_over(rel, identity) for rel, identity in files)

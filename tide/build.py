"""The pipeline, end to end: load -> validate -> enrich -> render/export (tide.outputs) -> write.

Functions here only sequence the stages; each stage lives in its own module.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from tide.cache import Cache, entries_to_keep, fingerprint
from tide.config import Config, ConfigError
from tide.diagnostics import Diagnostic
from tide.enrich import link_vectors, local_vector
from tide.load import discover, load_bytes, read_source
from tide.model import AttackInfo, Catalogue, Vector
from tide.output import Carryover, FileIdentity, Staging, file_identity
from tide.outputs import Seen, fork_pool, jobs, outputs, prepare_outputs, worker_errors
from tide.pack import PackError, pack, pack_all, unpack, unpack_all
from tide.validate import Links, TechniqueLookup, check_across, links_of, validate_document
from tide.vocabularies import load_vocabularies


@contextmanager
def cycle_collection(on: bool) -> Iterator[None]:
    """Turn Python's cycle collector on or off for a while, then back as it was.

    Checking and writing the outputs make millions of long-lived objects and almost no reference
    cycles (about 800 objects for 1,000 vectors), yet the collector walks the whole growing heap
    again and again: a quarter of a 10,000-vector rebuild. Off, it also leaves alone the memory
    forked workers share. The site stage needs it on: MkDocs leaves cycles behind (peak memory
    165 -> 287 MB at 226 vectors without it)."""
    was = gc.isenabled()
    _collect(on)
    try:
        yield
    finally:
        _collect(was)


def _collect(on: bool) -> None:
    if on and not gc.isenabled():
        # Everything made while paused is still in the youngest generation: its first collection
        # would walk all of it (0.2 s at 10,000 vectors). Those objects live on: set them aside.
        # Reference counting still frees them; a process that lives on should gc.unfreeze() now
        # and then (`tide serve` does after each rebuild) so that cycles among them go too.
        gc.freeze()
    (gc.enable if on else gc.disable)()


@dataclass
class Result:
    """What a run found: the diagnostics, how many files it read, which ATT&CK data it used."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: int = 0
    attack: AttackInfo | None = None
    catalogue: Catalogue | None = None
    cache_key: str | None = None  # fingerprint of tide and the ATT&CK data in use, when caching
    built: bool = False  # the outputs were written
    quick: bool = False  # from the last build's record (tide.incremental)
    # Each source's identity, taken before it was read (for the build record), when asked.
    sources: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return sum(d.is_error for d in self.diagnostics)

    @property
    def warnings(self) -> int:
        return len(self.diagnostics) - self.errors


@cycle_collection(False)
def check(paths: list[Path], config: Config, attack_file: Path | None = None,
          enrich: bool = False, use_cache: bool = True, identify: bool = False,
          meanwhile: Callable[[], None] | None = None) -> Result:
    """Load and validate `paths` (files or directories); enrich into a catalogue if asked and clean.
    With `use_cache`, files whose bytes are unchanged since an earlier run are not parsed again.
    With `identify`, `Result.sources` gets each file's identity before it is read. When worker
    processes check the files, this one runs `meanwhile` as they do."""
    from tide.attack import load_attack

    result = Result()
    files, problems = discover(paths)
    result.diagnostics.extend(problems)
    result.files = len(files)
    if identify:
        from tide.incremental import source_identities

        try:
            result.sources = source_identities(path.as_posix() for path in files)
        except OSError:  # gone already: reading it says so; this build leaves no record
            result.sources = {}
    attack = load_attack(attack_file, config)  # before any fork: workers inherit it
    result.attack = attack.info
    vectors: list[Vector] = []
    links: list[Links] = []
    if use_cache:  # every ATT&CK snapshot in use (domains, versions, files) is part of the key
        result.cache_key = fingerprint(attack.versions(), *(str(s) for s in attack.sources))
        Cache.of_project(config.root, result.cache_key).prune()
    checked = _check_files(files, attack_file, config, enrich, result.cache_key, meanwhile)
    for path, (vector, found, link) in zip(files, checked, strict=True):
        if isinstance(vector, bytes):
            try:
                vector = unpack(vector, attack)
            except PackError:  # a cache entry that does not fit this run's data: check the file again
                vector, found, link = _check_chunk([path], attack_file, config, enrich, None, False)[0]
        result.diagnostics.extend(found)
        if link is not None:
            links.append(link)
        if isinstance(vector, Vector):
            vectors.append(vector)
    result.diagnostics.extend(check_across(links))
    result.diagnostics.sort()
    if enrich and not result.errors:
        result.catalogue = link_vectors(vectors, attack.info)
    return result


# A file's result: its vector (enriched on its own; as the cache's bytes when it comes from the
# cache) unless it has errors or none was asked for, its diagnostics, its links.
Checked = tuple[Vector | bytes | None, list[Diagnostic], Links | None]
PARALLEL_FROM = 400  # below this many files a second process costs more than it saves


def _check_files(files: list[Path], attack_file: Path | None, config: Config, keep: bool,
                 cache_key: str | None, meanwhile: Callable[[], None] | None = None) -> Iterator[Checked]:
    """Each file loaded, validated and enriched on its own (or taken from the cache), on every
    core when there are enough files. Only vectors come back: no parsed document, no positions."""
    workers = jobs()
    if workers < 2 or len(files) < PARALLEL_FROM:
        yield from _check_chunk(files, attack_file, config, keep, cache_key, False)
        return
    # Many chunks a worker: the one sharing its core with this process (unpacking) gets fewer,
    # and the last chunk is short. With four each, workers ended ~0.2 s apart at 10,000 files.
    size = -(-len(files) // (workers * 16))
    chunks = [files[i:i + size] for i in range(0, len(files), size)]
    with fork_pool(workers) as pool, worker_errors():
        extra = zip(*[(attack_file, config, keep, cache_key)] * len(chunks), strict=True)
        results = pool.map(_check_chunk_packed, chunks, *extra)
        if meanwhile is not None:
            meanwhile()
        from tide.attack import load_attack

        attack = load_attack(attack_file, config)
        for packed in results:
            yield from unpack_all(packed, attack)


def _check_chunk_packed(files: list[Path], attack_file: Path | None, config: Config, keep: bool,
                        cache_key: str | None) -> bytes:
    """`_check_chunk` in a worker: its results as one blob (tide.pack), vectors and all."""
    from tide.attack import load_attack

    return pack_all(_check_chunk(files, attack_file, config, keep, cache_key, True),
                    load_attack(attack_file, config))


def _check_chunk(files: list[Path], attack_file: Path | None, config: Config, keep: bool,
                 cache_key: str | None, packed: bool) -> list[Checked]:
    """The files checked in turn. When `packed` (results cross processes), a vector the cache
    packed already is sent as its bytes."""
    from tide.attack import load_attack

    attack = load_attack(attack_file, config)  # memoised: inherited from the parent when forked
    cache = Cache.of_project(config.root, cache_key) if cache_key else None
    out: list[Checked] = []
    for path in files:
        name = path.as_posix()
        raw, problem = read_source(path, name)
        if problem is not None:
            out.append((None, [problem], None))
            continue
        key = Cache.entry_key(name, raw) if cache else ""
        entry = cache.get(key) if cache else None
        if entry is None or (keep and entry[0] is None and not any(d.is_error for d in entry[1])):
            # Not cached, or cached by a run that did not enrich: check the file.
            vector, found, link = _check_one(raw, name, attack, keep)
            if cache:
                data = pack(vector, attack) if vector is not None else None
                cache.put(key, (data, found, link))
                out.append((data if packed else vector, found, link))
            else:
                out.append((vector, found, link))
        else:  # packed: check() unpacks it, or checks the file again if it does not fit this run
            out.append((entry[0] if keep else None, entry[1], entry[2]))
    return out


def _check_one(raw: bytes, name: str, attack: TechniqueLookup, keep: bool) -> tuple[Vector | None, list[Diagnostic],
                                                                                    Links | None]:
    doc, found = load_bytes(raw, name)
    if doc is None:
        return None, found, None
    found.extend(validate_document(doc, attack))
    vector = None
    if keep and not any(d.is_error for d in found):
        vector = local_vector(doc, load_vocabularies(), attack)
    return vector, found, links_of(doc)


def compile_catalogue(paths: list[Path], config: Config,
                      attack_file: Path | None = None) -> tuple[Catalogue | None, list[Diagnostic]]:
    """Validated, enriched catalogue of `paths`, or None when there are errors."""
    result = check(paths, config, attack_file, enrich=True)
    return result.catalogue, result.diagnostics




@cycle_collection(False)
def build(paths: list[Path], out: Path, config: Config, *, site: bool = True,
          attack_file: Path | None = None, templates: Path | None = None, use_cache: bool = True) -> Result:
    """Validate, then write every output into a staging directory swapped in at the end. Without
    the site, an edit that only a few outputs show makes only those (tide.incremental)."""
    from tide import incremental

    templates = templates or config.root / "templates"
    if not site and use_cache:
        quick = incremental.quick_build(paths, out, config, attack_file, templates)
        if quick is not None:
            return quick
    result = check(paths, config, attack_file, enrich=True, use_cache=use_cache, identify=use_cache,
                   meanwhile=partial(prepare_outputs, templates))
    if result.catalogue is None:
        return result
    catalogue = result.catalogue
    checked = list(result.diagnostics)  # the record's: a quick build makes no site to report on
    if not (templates / "vector.md.j2").is_file():
        raise ConfigError(f"no page templates in {templates} (vector.md.j2 is missing)")
    memo_key = result.cache_key  # computed once by check(): it hashes tide's code and data
    # What the previous build into `out` wrote from which inputs (see output.Carryover).
    carried, carried_key = incremental.record_store(config, memo_key, out) if memo_key else (None, "")
    seen = Seen()
    plain: dict[str, FileIdentity] = {}
    with Staging(out) as stage:
        carry = Carryover(stage, incremental.stored(carried, carried_key)[0]) if carried else None
        for rel, data in outputs(catalogue, config, out, templates, memo_key, carry, stage, seen):
            if data is not None:
                written = stage.write(rel, data)
                plain[rel] = file_identity(written)
                if carry is not None:
                    carry.wrote(rel, written)
        if site:
            from tide.render import iter_markdown
            from tide.site import build_site
            from tide.site_carry import FOLDER as SITE
            from tide.site_carry import SiteCarry

            render_memo = Cache.of_project(config.root, memo_key, kind="render") if memo_key else None
            site_memo = Cache.of_project(config.root, memo_key, kind="site") if memo_key else None
            if site_memo is not None:
                site_memo.prune()
            whole = SiteCarry(carry, site_memo) if carry is not None and site_memo is not None else None
            with cycle_collection(True):
                pages = Utf8Pages(iter_markdown(catalogue, templates, flavour="mkdocs", memo=render_memo))
                problems = build_site(pages, config.root / "site", stage.path(SITE), config, catalogue.attack,
                                      sources=site_sources(catalogue, config), memo=site_memo, carry=whole)
            result.diagnostics.extend(problems)
            if any(d.is_error for d in problems):
                return result  # the staging directory is dropped; the previous build stays
        stage.commit()
    result.built = True
    if carried is not None and carry is not None and memo_key is not None and seen.look is not None:
        files = carry.record()
        record = incremental.make_record(
            incremental.setup(memo_key, templates, config), result.sources, catalogue.vectors, seen.listings,
            checked, seen.look.actor_slugs, seen.look.entry_slugs,
            {rel: identity for rel, identity in plain.items() if rel not in files})
        carried.prune()
        carried.put(carried_key, (files, record))
        incremental.forget()
        for kind in ("check", "render", "misp", "site"):
            Cache.of_project(config.root, memo_key, kind=kind).trim(entries_to_keep(result.files))
    return result


def site_sources(catalogue: Catalogue, config: Config) -> dict[str, str]:
    """Vector page -> its YAML file relative to objects/, for the site's "edit this page" links
    (`edit_uri` in [tool.tide] names the objects directory in the repository)."""
    from tide.render import vector_page

    objects = (config.root / "objects").resolve()
    found = {}
    for vector in catalogue.vectors:
        source = Path(vector.path).resolve()
        if source.is_relative_to(objects):
            found[vector_page(vector)] = source.relative_to(objects).as_posix()
    return found


class Utf8Pages(Mapping[str, str]):
    """Pages kept as UTF-8 (as rendered) and decoded when read: the icons make Python hold page
    text at four bytes a character, which for 10,000 vectors is gigabytes."""

    def __init__(self, pages: Iterable[tuple[str, bytes]]) -> None:
        self._pages = dict(pages)

    def __getitem__(self, path: str) -> str:
        return self._pages[path].decode("utf-8")

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._pages))

    def __len__(self) -> int:
        return len(self._pages)

"""MkDocs' build with its two page loops on every core: the same site, byte for byte.

A strict MkDocs build of a large catalogue spends nearly all its time in two loops over the
pages: converting each page's Markdown to HTML, then rendering each page into the theme and
indexing it for search. Both treat one page at a time, so forked workers take a share of the
pages each, in order. Everything that spans pages stays in this process: the navigation, the
tags plugin's mappings (collected while the Markdown is read here), the tag listings, anchor
validation, the static files and the search index (each worker's entries come back and are put
together in page order). What a worker changed on a page comes back and is set on this
process's page; the log records of each page come back too, in page order.

Converted pages and their search entries can be kept (tide.site_memo); only the pages that miss
are converted, only those whose entries miss are indexed. Writing the pages into the theme is
always done again: each page carries the navigation, whose every title could change.

Only used where it is known to give the serial build's bytes: MkDocs 1.6 and no plugins but
those named in KNOWN_PLUGINS. Anything else builds serially (`tide.site.run_mkdocs`).
"""

from __future__ import annotations

import gc
import io
import logging
import pickle
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from tide.cache import Memo
from tide.site_memo import entries_key, page_key, setup_digest

# Plugins whose per-page work leaves no state behind but what is merged here (search) or what
# is made in this process before the workers fork (tags, edit links).
KNOWN_PLUGINS = frozenset({"material/search", "material/tags", "tide/edit-links"})
PARALLEL_FROM = 60  # pages; below this a fork costs more than it saves


def usable(cfg: Any) -> bool:
    """Whether this build gives the serial build's bytes: a MkDocs and plugins it is tested with."""
    import mkdocs

    return mkdocs.__version__.startswith("1.6.") and set(cfg.plugins) <= KNOWN_PLUGINS


@dataclass
class _Job:
    """What the forked workers inherit."""

    cfg: Any
    files: Any
    doc_files: Any
    pages: list[Any]
    nav: Any
    env: Any
    records: list[logging.LogRecord]  # the log collector's list, which workers append to
    workers: int
    memo: Memo | None = None
    setup: Any = None  # what every memo key depends on (tide.site_memo.setup_digest)
    todo: list[Any] = field(default_factory=list)  # the pages the workers take ranges of


_JOB: list[_Job] = []


def build(cfg: Any, records: list[logging.LogRecord], workers: int, memo: Memo | None = None) -> None:
    """Build the site of `cfg` (loaded, plugins started) as `mkdocs.commands.build.build` does,
    with `workers` processes. `records` is the list MkDocs' log records go to: each page's come
    back into it in page order. With a `memo`, what an earlier build made of a page with the same
    Markdown, settings and files around it (its HTML, its search entries) is not made again."""
    from mkdocs.exceptions import Abort, BuildError

    try:
        job = _gather(cfg, records, workers)
        cfg, job.memo = job.cfg, memo  # the configuration as the plugins left it
        _convert(job)
        _write(job)
        for page in job.pages:
            page.validate_anchor_links(files=job.files, log_level=cfg.validation.links.anchors)
        cfg.plugins.on_post_build(config=cfg)
    except Exception as exc:
        cfg.plugins.on_build_error(error=exc)
        if isinstance(exc, BuildError):
            logging.getLogger("mkdocs.commands.build").error(str(exc))
            raise Abort("Aborted with a BuildError!") from exc
        raise


def _gather(cfg: Any, records: list[logging.LogRecord], workers: int) -> _Job:
    """The files, the navigation and the pages, with their Markdown read."""
    from mkdocs import utils
    from mkdocs.structure.files import get_files, set_exclusions
    from mkdocs.structure.nav import get_navigation
    from mkdocs.structure.pages import Page

    cfg = cfg.plugins.on_config(cfg)
    cfg.plugins.on_pre_build(config=cfg)
    utils.clean_directory(cfg.site_dir)
    files = get_files(cfg)
    env = cfg.theme.get_env()
    files.add_files_from_theme(env, cfg)
    files = cfg.plugins.on_files(files, config=cfg)
    set_exclusions(files, cfg)
    nav = cfg.plugins.on_nav(get_navigation(files, cfg), config=cfg, files=files)
    doc_files = files.documentation_pages(inclusion=_included())
    for file in doc_files:
        if file.page is None and file.inclusion.is_not_in_nav():
            Page(None, file, cfg)
    return _Job(cfg, files, doc_files, [file.page for file in doc_files], nav, env, records, workers)


def _convert(job: _Job) -> None:
    """Each page's Markdown read here (the tags plugin collects its mappings meanwhile), then
    converted to HTML on the workers, or taken from the memo."""
    cfg, records, memo = job.cfg, job.records, job.memo
    mark = len(records)
    read = [_logged(records, partial(_read, page, cfg, job.files)) for page in job.pages]
    if memo is not None:
        job.setup = setup_digest(job.cfg, job.files)
    keys = [page_key(job.setup, page) if memo is not None else "" for page in job.pages]
    kept = [_kept_conversion(memo.get(key), job) if memo is not None else None for key in keys]
    job.todo = [page for page, done in zip(job.pages, kept, strict=True) if done is None]
    made = iter(list(_on_workers(job, _convert_share)))
    del records[mark:]  # put back page by page, with what converting logged
    failed = False
    for page, key, own, done in zip(job.pages, keys, read, kept, strict=True):
        if done is None:
            data = next(made)
            done = _unpickled(data, job)
            if memo is not None and not done[2]:
                memo.put(key, data)
        changes, logged, failed_here = done
        records += own + logged
        vars(page).update(changes)
        failed = failed or failed_here
    _stop_if(failed, "reading pages")


def _kept_conversion(data: Any, job: _Job) -> Any:
    """A page's conversion as kept by an earlier build, or None to convert it: a damaged entry
    is a miss, as every cache entry is (tide.cache)."""
    if not isinstance(data, bytes):
        return None
    try:
        done = _unpickled(data, job)
    except Exception:
        return None
    return done if isinstance(done, tuple) and len(done) == 3 and isinstance(done[0], dict) else None


def _write(job: _Job) -> None:
    """The static files and theme templates, then every page written on the workers."""
    from mkdocs.commands.build import _build_extra_template, _build_theme_template

    cfg, files = job.cfg, job.files
    job.env = cfg.plugins.on_env(job.env, config=cfg, files=files)
    files.copy_static_files(dirty=False, inclusion=_included())
    for template in cfg.theme.static_templates:
        _build_theme_template(template, job.env, files, cfg, job.nav)
    for template in cfg.extra_templates:
        _build_extra_template(template, files, cfg, job.nav)
    index = _search_entries(cfg)
    mark, first = len(job.records), len(index)
    job.todo = job.pages
    written = [_unpickled(data, job) for data in _on_workers(job, _write_share)]
    del job.records[mark:], index[first:]  # what a share made in this process comes back below
    for entries, logged, _, indexed in written:
        job.records += logged
        index += entries
        if job.memo is not None:
            for key, made in indexed:
                job.memo.put(key, made)
    _stop_if(any(failed for _, _, failed, _ in written), "writing pages")


def _included() -> Any:
    from mkdocs.structure.files import InclusionLevel

    return InclusionLevel.is_included


def _search(cfg: Any) -> Any | None:
    """Material's search plugin, when it indexes this site."""
    search = cfg.plugins.get("material/search")
    return search if search is not None and search.config.enabled else None


def _search_entries(cfg: Any) -> list[Any]:
    search = _search(cfg)
    return search.search_index.entries if search is not None else []


def _stop_if(failed: bool, doing: str) -> None:
    from mkdocs.exceptions import Abort

    if failed:  # the pages' errors are logged: MkDocs' serial build would stop at the first
        raise Abort(f"Aborted with errors {doing}")


def _read(page: Any, cfg: Any, files: Any) -> None:
    page = cfg.plugins.on_pre_page(page, config=cfg, files=files)
    page.read_source(cfg)
    page.markdown = cfg.plugins.on_page_markdown(page.markdown, page=page, config=cfg, files=files)


def _logged(records: list[logging.LogRecord], work: Callable[[], Any]) -> list[logging.LogRecord]:
    """The records `work` logged (they stay in `records` too)."""
    start = len(records)
    work()
    return records[start:]


def _on_workers(job: _Job, share: Callable[[int, int], list[bytes]]) -> Iterator[bytes]:
    """What `share(start, end)` returns for consecutive ranges of `job.todo`, in order: made in
    forked workers, or in this process for a few pages."""
    from tide.outputs import fork_pool, worker_errors

    _JOB[:] = [job]
    try:
        if job.workers < 2 or len(job.todo) < PARALLEL_FROM:
            yield from share(0, len(job.todo))
            return
        bounds = _bounds(job.todo, job.workers * 8)
        # Frozen, the objects the workers inherit are never walked by their cycle collectors (each
        # walk would cost time and copy the memory it touches); see tide.build.cycle_collection.
        gc.freeze()
        with fork_pool(job.workers) as pool, worker_errors():
            for made in pool.map(share, bounds[:-1], bounds[1:]):
                yield from made
    finally:
        _JOB.clear()


# A page costs about as much as this many characters of Markdown besides its own (the theme).
_PAGE_COST = 4000


def _bounds(pages: list[Any], shares: int) -> list[int]:
    """Where `shares` consecutive ranges of `pages` of about the same cost begin, and the end.
    The index pages list the whole catalogue: a range of them costs more than thousands of
    object pages, and the last share to finish sets the time."""
    weights = [len(page.markdown or "") + _PAGE_COST for page in pages]
    step = sum(weights) / shares
    bounds, done = [0], 0
    for i, weight in enumerate(weights[:-1], start=1):
        done += weight
        if done >= step * len(bounds):
            bounds.append(i)
    return [*bounds, len(pages)]


def _convert_share(start: int, end: int) -> list[bytes]:
    """In a worker: each page of the range converted to HTML; for each, what that changed on
    the page, what it logged and whether it failed, pickled."""
    job = _JOB[0]
    out = []
    for page in job.todo[start:end]:
        before, first_record = dict(vars(page)), len(job.records)
        converted = _convert_page(page, job)
        changes = {key: value for key, value in vars(page).items() if before.get(key, _MISSING) is not value}
        out.append(_pickled((changes, _plain(job.records[first_record:]), not converted)))
    return out


_MISSING = object()


def _convert_page(page: Any, job: _Job) -> bool:
    """Convert `page` as MkDocs does; False, with the error logged as MkDocs words it, if it fails."""
    cfg = job.cfg
    cfg._current_page = page
    try:
        page.render(cfg, job.files)
        page.content = cfg.plugins.on_page_content(page.content, page=page, config=cfg, files=job.files)
    except Exception as exc:
        logging.getLogger("mkdocs.commands.build").error(f"Error reading page '{page.file.src_uri}': {exc}")
        return False
    finally:
        cfg._current_page = None
    return True


def _write_share(start: int, end: int) -> list[bytes]:
    """In a worker: each page of the range written into the theme; the search entries made, the
    log, whether a page failed, and the entries of the pages indexed here by memo key, pickled."""
    from mkdocs.commands.build import _build_page

    job = _JOB[0]
    search = _search(job.cfg)
    index = _search_entries(job.cfg)
    first_entry, first_record = len(index), len(job.records)
    failed = False
    indexed = []
    for page in job.todo[start:end]:
        key = entries_key(job.setup, page) if search is not None and job.memo is not None else ""
        kept = job.memo.get(key) if job.memo is not None and key else None
        kept = kept if isinstance(kept, list) else None  # a damaged entry is a miss
        start_entry = len(index)
        try:
            with _indexing_as(search, kept):
                _build_page(page, job.cfg, job.doc_files, job.nav, job.env, False, page.file.inclusion.is_excluded())
        except Exception:  # _build_page logged it
            failed = True
            break
        if key and kept is None:
            indexed.append((key, index[start_entry:]))
    return [_pickled((index[first_entry:], _plain(job.records[first_record:]), failed, indexed))]


@contextmanager
def _indexing_as(search: Any, kept: list[Any] | None) -> Iterator[None]:
    """The search plugin indexes the next page as `kept` says, when its entries were kept: its
    HTML parser is half of writing a page. It still takes its markers out of the page."""
    if search is None or kept is None:
        yield
        return
    index = search.search_index
    index.add_entry_from_context = lambda page: index.entries.extend(kept)
    try:
        yield
    finally:
        del index.add_entry_from_context


def _plain(records: list[logging.LogRecord]) -> list[logging.LogRecord]:
    """Records that pickle: the message made, no arguments or traceback."""
    for record in records:
        record.msg, record.args, record.exc_info, record.exc_text = record.getMessage(), None, None, None
    return records


class _Pickler(pickle.Pickler):
    """MkDocs files and pages by reference: they come back as this process's own."""

    def __init__(self, data: io.BytesIO) -> None:
        from mkdocs.structure.files import File
        from mkdocs.structure.pages import Page

        super().__init__(data, pickle.HIGHEST_PROTOCOL)
        self._kinds = {File: "file", Page: "page"}

    def persistent_id(self, obj: Any) -> Any:
        kind = self._kinds.get(type(obj))
        if kind is None:
            return None
        return kind, (obj if kind == "file" else obj.file).src_uri


class _Unpickler(pickle.Unpickler):
    def __init__(self, data: io.BytesIO, files: Any) -> None:
        super().__init__(data)
        self.files = files

    def persistent_load(self, pid: Any) -> Any:
        kind, uri = pid
        file = self.files.get_file_from_path(uri)
        return file if kind == "file" else file.page


def _unpickled(data: bytes, job: _Job) -> Any:
    return _Unpickler(io.BytesIO(data), job.files).load()


def _pickled(value: Any) -> bytes:
    data = io.BytesIO()
    _Pickler(data).dump(value)
    return data.getvalue()

"""Output stage: every file of a build but the HTML site, from an enriched catalogue.

The vector pages and MISP events, nearly all of the files, are made in forked worker processes
when there are enough vectors; meanwhile this process makes the catalogue pages, the Navigator
layers and index.json, then claims vector pages and events alongside the workers until none is
left, and last writes the feed's manifest from every event. Either way each file is made, taken
over from the previous output (output.Carryover) or taken from the cache the same way, so the
output is the same.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tide.cache import Cache
from tide.config import Config, ConfigError
from tide.model import Catalogue
from tide.output import Carryover, Staging
from tide.shares import Claims, Share, every

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

    from tide.misp.feed import EventDone
    from tide.misp.stamp import PreviousFeed
    from tide.render.lookup import Lookup

T = TypeVar("T")
# Rendering costs about four times what loading and validating do: workers pay from fewer vectors.
RENDER_PARALLEL_FROM = 100
# Claimed at a time by a worker (tide.shares.Claims): ~8 ms of work, so that workers end together.
PAGES_A_CLAIM, EVENTS_A_CLAIM = 16, 64


def jobs() -> int:
    """How many processes to use: TIDE_JOBS, else every core."""
    value = os.environ.get("TIDE_JOBS", "")
    return int(value) if value.isdigit() and int(value) > 0 else (os.cpu_count() or 1)


def prepare_outputs(templates: Path) -> None:
    """What making the outputs starts with, done early (while worker processes check the files):
    its modules imported and the page templates compiled. A broken template is not reported
    here but by the page that needs it, after the content's own errors."""
    import importlib

    from tide.render.pages import compile_templates

    for module in ("tide.index_json", "tide.misp.feed", "tide.navigator"):
        importlib.import_module(module)
    with contextlib.suppress(ConfigError):
        compile_templates(templates)


@dataclass
class Seen:
    """What making the outputs worked out that the next quick build needs (tide.incremental)."""

    look: Lookup | None = None
    listings: dict[str, str] = field(default_factory=dict)  # vector path -> listing digest


def outputs(catalogue: Catalogue, config: Config, out: Path, templates: Path, memo_key: str | None = None,
            carry: Carryover | None = None, stage: Staging | None = None,
            seen: Seen | None = None) -> Iterator[tuple[str, bytes | None]]:
    """Every file of the build except the HTML site, by path relative to the output directory,
    one at a time so that each can be written and let go. With a `memo_key`, pages and MISP
    events whose inputs did not change come from the cache; with a `carry` too, pages the
    previous output has from the same inputs are taken over from there and come as None.
    With a `stage` and enough vectors, worker processes make the vector pages and MISP events
    and write them there themselves: those files do not come at all. A `seen` is filled in."""
    from tide.index_json import index_json
    from tide.misp import read_previous_feed
    from tide.misp.feed import misp_index
    from tide.navigator import navigator_layers
    from tide.render import vector_page
    from tide.render.lookup import build_lookup

    prepare_outputs(templates)  # before the workers fork: they inherit the compiled templates
    seen = seen or Seen()
    job = _Job(catalogue, config, templates, memo_key, carry, stage, read_previous_feed(out / "misp"),
               build_lookup(catalogue), seen.listings)
    seen.look = job.look
    for memo in job.memo("render"), job.memo("misp"):
        if memo is not None:
            memo.prune()
    # This process makes the catalogue pages, then claims vector pages and events as the workers
    # do: one worker fewer than cores, so that no core is shared while every one is busy.
    workers = min(jobs(), 8) - 1
    events: list[EventDone] = []

    def whole_catalogue() -> Iterator[tuple[str, bytes | None]]:
        """The files made from the whole catalogue, and from nothing the workers make."""
        yield from job.catalogue_pages()
        yield from navigator_layers(catalogue).items()
        yield "index.json", index_json(catalogue, vector_page, config.root.absolute())

    if stage is None or workers < 1 or len(catalogue.vectors) < RENDER_PARALLEL_FROM:
        for rel, data, done in job.share(0):
            events += done
            yield rel, data
        yield from whole_catalogue()
    else:  # the workers fork now, with the catalogue; this process makes the rest meanwhile
        job.claims = Claims(PAGES_A_CLAIM), Claims(EVENTS_A_CLAIM)
        try:
            with _worker_pool(workers, job) as pool:
                shares = [pool.submit(_write_share, i, workers) for i in range(workers)]
                yield from whole_catalogue()
                for rel, data, done in job.share(workers):  # then what the workers have not claimed
                    events += done
                    yield rel, data
                for future in shares:
                    record, done = _result(future)
                    events += done
                    if carry is not None:
                        carry.adopt(record)
        finally:
            _JOB.clear()  # `tide serve` lives on: let the catalogue go
    for rel, data in misp_index(events):
        yield f"misp/{rel}", data


@dataclass
class _Job:
    """What making the vector pages and MISP events needs, in this process or a forked worker."""

    catalogue: Catalogue
    config: Config
    templates: Path
    memo_key: str | None
    carry: Carryover | None
    stage: Staging | None
    previous: PreviousFeed | None
    look: Lookup
    listings: dict[str, str]  # filled by the catalogue pages
    claims: tuple[Claims, Claims] | None = None  # how workers share out the vector pages and the events

    def memo(self, kind: str) -> Cache | None:
        return Cache.of_project(self.config.root, self.memo_key, kind=kind) if self.memo_key else None

    def catalogue_pages(self) -> Iterator[tuple[str, bytes | None]]:
        yield from self._pages(None, True, self.carry, self.listings)

    def share(self, i: int, carry: Carryover | None = None) -> Iterator[tuple[str, bytes | None, list[EventDone]]]:
        """The vector pages and events worker i claims (every one of them without `claims`):
        (path, data or None, events made)."""
        carry = carry or self.carry
        pages, events = (self.claims[0].share(), self.claims[1].share()) if self.claims else (every, every)
        # Odd workers make their events first: creating files in one folder is serialised by the
        # kernel (a lock on the folder), so two workers filling the same folder take turns.
        parts = [partial(self._share_pages, pages), partial(self._share_events, events)]
        for part in parts[::-1 if i % 2 else 1]:
            yield from part(carry)

    def _share_pages(self, share: Share, carry: Carryover | None) -> Iterator[
            tuple[str, bytes | None, list[EventDone]]]:
        for rel, data in self._pages(share, False, carry):
            yield rel, data, []

    def _share_events(self, share: Share, carry: Carryover | None) -> Iterator[
            tuple[str, bytes | None, list[EventDone]]]:
        from tide.misp.feed import misp_events

        memo = self.memo("misp")
        events = carry.under("misp") if carry is not None and memo is not None else None
        for uuid, entry, hashes, name, data in misp_events(self.catalogue, self.config, self.previous, memo,
                                                          events, share):
            yield f"misp/{name}", data, [(uuid, entry, hashes)]

    def _pages(self, vectors: Share | None, others: bool, carry: Carryover | None,
               listings: dict[str, str] | None = None) -> Iterator[tuple[str, bytes | None]]:
        from tide.render import carry_markdown

        memo = self.memo("render")
        pages = carry_markdown(self.catalogue, self.templates, "portable", memo,
                               carry.under("markdown") if carry is not None and memo is not None else None,
                               vectors, others, self.look, listings)
        for rel, page in pages:
            yield f"markdown/{rel}", page


_JOB: list[_Job] = []  # the job forked workers inherit


def fork_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes forked from this one: they inherit its data (ATT&CK, the catalogue)
    instead of receiving it pickled."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))


def _worker_pool(workers: int, job: _Job) -> ProcessPoolExecutor:
    _JOB[:] = [job]
    return fork_pool(workers)


def _write_share(i: int, n: int) -> tuple[dict[str, Any], list[EventDone]]:
    """In worker i of n: make and write what it claims; what the parent's carry-over record needs."""
    job = _JOB[0]
    assert job.stage is not None
    carry = Carryover(job.stage, job.carry.previous if job.carry is not None else None)
    events: list[EventDone] = []
    for rel, data, done in job.share(i, carry):
        events += done
        if data is not None:
            carry.wrote(rel, job.stage.write(rel, data))
    return carry.record(), events


class WorkerError(Exception):
    """A worker process stopped before its work was done (killed, out of memory)."""


def _result(future: Future[T]) -> T:
    with worker_errors():
        return future.result()


@contextmanager
def worker_errors() -> Iterator[None]:
    """Say that a worker process stopped, in one line, instead of the pool's traceback."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        yield
    except BrokenProcessPool as exc:
        raise WorkerError("a worker process stopped unexpectedly (out of memory?); "
                          "TIDE_JOBS=1 runs in one process") from exc

"""The site built on every core (tide.site_parallel) is MkDocs' own serial build, byte for byte:
pages, search index, tag listings, sitemap, and the diagnostics in the same order; what is kept
between builds (tide.site_memo) changes none of it; the script check on workers finds what it
finds in one process."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import require_corpus
from test_build import tree
from test_incremental import HUB, TEMPLATES, chain_closed
from test_site import ATTACK, SITE, site_config

import tide.outputs
from tide import site_parallel
from tide.build import compile_catalogue, site_sources
from tide.config import load_config
from tide.render import render_markdown
from tide.site import build_site
from tide.site_memo import RecentMemo


def counted_forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The worker counts of the process pools forked from now on, in order."""
    forks: list[int] = []
    real_pool = tide.outputs.fork_pool

    def counted_pool(workers: int) -> Any:
        forks.append(workers)
        return real_pool(workers)

    monkeypatch.setattr(tide.outputs, "fork_pool", counted_pool)
    return forks


def serial_and_parallel(build: Callable[[Path], Any], tmp_path: Path,
                        monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    """`build(out)` with MkDocs' own build, then on two forked workers; the parallel build is
    checked to have forked."""
    with monkeypatch.context() as serial:
        serial.setattr(site_parallel, "usable", lambda cfg: False)
        expected = build(tmp_path / "serial")
    forks = counted_forks(monkeypatch)
    monkeypatch.setenv("TIDE_JOBS", "2")
    made = build(tmp_path / "parallel")
    assert forks[:2] == [2, 2]  # both page loops ran on two workers (the script check may follow)
    return expected, made


def test_corpus_site_is_the_serial_build_byte_for_byte(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(Path.cwd())
    catalogue, found = compile_catalogue(chain_closed(require_corpus(), (HUB,), 10), config)
    assert catalogue is not None, found
    pages = render_markdown(catalogue, TEMPLATES, flavour="mkdocs")
    assert len(pages) >= 4 * site_parallel.PARALLEL_FROM

    def build(out: Path) -> dict[str, str]:
        assert build_site(pages, config.root / "site", out, config, catalogue.attack,
                          sources=site_sources(catalogue, config)) == []
        return tree(out)

    expected, made = serial_and_parallel(build, tmp_path, monkeypatch)
    assert made == expected
    assert any(rel.startswith("threat-vectors/") for rel in made)
    assert "search/search_index.json" in made and "tags/index.html" in made


def test_warnings_of_pages_built_in_workers_come_back_in_page_order(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = {7, 31, 58, 59, 64}
    pages = {"index.md": "---\ntitle: Home\n---\n\n# Home\n"}
    for i in range(site_parallel.PARALLEL_FROM + 10):
        target = "[gone](missing.md)" if i in broken else "[home](../index.md)"
        pages[f"threat-vectors/v{i:03}.md"] = f"---\ntitle: Vector {i}\n---\n\n# Vector {i}\n\nSee {target}.\n"

    def build(out: Path) -> list[str]:
        return [d.text() for d in build_site(pages, SITE, out, site_config(), ATTACK)]

    expected, made = serial_and_parallel(build, tmp_path, monkeypatch)
    assert made == expected
    assert [line.split(":")[0] for line in made] == [f"<generated>/threat-vectors/v{i:03}.md" for i in sorted(broken)]
    assert not (tmp_path / "parallel").exists()  # a failed build leaves nothing


def test_a_plugin_it_does_not_know_builds_serially(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "site"
    shutil.copytree(SITE, project)
    config = project / "mkdocs.yml"
    config.write_text(config.read_text("utf-8").replace("  - tags\n", "  - tags\n  - offline\n"), "utf-8")
    used: list[bool] = []
    real_build = site_parallel.build
    monkeypatch.setattr(site_parallel, "build", lambda *args: used.append(True) or real_build(*args))
    pages = {"index.md": "---\ntitle: Home\n---\n\n# Home\n"}
    assert build_site(pages, project, tmp_path / "out", site_config(root=tmp_path), ATTACK) == []
    assert used == []
    assert build_site(pages, SITE, tmp_path / "again", site_config(), ATTACK) == []
    assert used == [True]


def test_a_page_that_fails_in_a_worker_is_a_diagnostic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mkdocs.structure.pages import Page

    real_render = Page.render

    def render(page: Page, config: Any, files: Any) -> None:
        if page.file.src_uri == "threat-vectors/v042.md":
            raise ValueError("no way to convert this")
        real_render(page, config, files)

    monkeypatch.setattr(Page, "render", render)
    monkeypatch.setenv("TIDE_JOBS", "2")
    pages = {"index.md": "---\ntitle: Home\n---\n\n# Home\n"}
    pages |= {f"threat-vectors/v{i:03}.md": f"---\ntitle: V{i}\n---\n\n# V{i}\n" for i in range(80)}
    found = [d.text() for d in build_site(pages, SITE, tmp_path / "out", site_config(), ATTACK)]
    assert found == ["<generated>/threat-vectors/v042.md:0:0: error: Error reading page "
                     "'threat-vectors/v042.md': no way to convert this [site-error]"]
    assert not (tmp_path / "out").exists()


def test_pages_converted_before_come_from_the_memo_and_change_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tide.cache import Cache

    monkeypatch.setenv("TIDE_JOBS", "2")
    pages = {"index.md": "---\ntitle: Home\n---\n\n# Home\n"}
    for i in range(site_parallel.PARALLEL_FROM + 10):
        target = "[gone](missing.md)" if i == 3 else "[home](../index.md)"
        pages[f"threat-vectors/v{i:03}.md"] = f"---\ntitle: Vector {i}\n---\n\n# Vector {i}\n\nSee {target}.\n"

    def build(out: str, pages: dict[str, str], memo: Cache | None) -> tuple[dict[str, str], list[str]]:
        found = [d.text() for d in build_site(pages, SITE, tmp_path / out, site_config(), ATTACK, memo=memo,
                                              project_dir=tmp_path / f"{out}-project")]
        return tree(tmp_path / out) if (tmp_path / out).exists() else {}, found

    def memo() -> Cache:
        return Cache(tmp_path / "cache", "0" * 64, kind="site")

    def entries() -> dict[Path, int]:  # a miss writes an entry anew, in the workers too
        return {path: path.stat().st_ino for path in (tmp_path / "cache").rglob("*") if path.is_file()}

    first = memo()
    expected = build("plain", pages, None)
    assert build("fill", pages, first) == expected and first.hits == 0 and first.misses > len(pages)
    filled = entries()
    assert len(filled) == 2 * first.misses  # each page converted here, and indexed for search in a worker
    assert expected[1] == ["<generated>/threat-vectors/v003.md:0:0: error: Doc file 'threat-vectors/v003.md' "
                           "contains a link 'missing.md', but the target 'threat-vectors/missing.md' is not "
                           "found among documentation files. [site-warning]"]
    again = memo()
    assert build("again", pages, again) == expected  # the warning comes back from the memo too
    assert (again.hits, again.misses) == (first.misses, 0)  # the hand-written pages too
    assert entries() == filled  # nor indexed again

    pages["threat-vectors/v003.md"] = pages["threat-vectors/v003.md"].replace("[gone](missing.md)", "home")
    pages["threat-vectors/v050.md"] += "\nA new paragraph.\n"
    edited = memo()
    assert build("edited", pages, edited) == build("edited-plain", pages, None)
    assert (edited.hits, edited.misses) == (first.misses - 2, 2)
    assert len(entries()) == len(filled) + 4
    assert build("edited", pages, edited)[1] == []

    pages["threat-vectors/new.md"] = "---\ntitle: New\n---\n\n# New\n"  # links may now resolve elsewhere
    added = memo()
    assert build("added", pages, added) == build("added-plain", pages, None)
    assert added.hits == 0


class CountingMemo(RecentMemo):
    def __init__(self) -> None:
        super().__init__()
        self.hits = 0

    def get(self, key: str) -> Any | None:
        value = super().get(key)
        self.hits += value is not None
        return value


def test_serve_keeps_in_memory_the_pages_its_last_build_converted(tmp_path: Path) -> None:
    memo = CountingMemo()
    first = {"index.md": "---\ntitle: Home\n---\n\n# Home\n"}
    first |= {f"threat-vectors/v{i}.md": f"---\ntitle: V{i}\n---\n\n# V{i}\n\nText {i}.\n" for i in range(5)}
    second = first | {"threat-vectors/v4.md": "---\ntitle: V4\n---\n\n# V4\n\nEdited.\n"}

    def build(pages: dict[str, str]) -> int:
        memo.hits = 0
        out = tmp_path / "out"
        shutil.rmtree(out, ignore_errors=True)
        assert build_site(pages, SITE, out, site_config(), ATTACK, memo=memo) == []
        memo.next_build()
        return memo.hits

    assert build(first) == 0
    kept = build(first)  # each page converted and indexed for search
    assert kept == 2 * (len(first) + 2)  # the two hand-written pages too
    assert build(second) == kept - 2
    assert build(first) == kept - 2  # the build of `second` did not use v4's first text: let go
    assert build(first) == kept


def test_the_script_check_on_workers_finds_what_it_finds_in_one_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tide import site_safety

    # Pages 9, 23 and 300 fall in shares 2, 0 and 5 of the check: diagnostics come in page order.
    hostile = {9: "<script>alert(1)</script>", 23: "<img src=x onerror=alert(2)>", 300: "[x](javascript:alert(3))"}
    pages = {"index.md": "---\ntitle: Home\n---\n\n# Home\n"}
    for i in range(site_safety._SAFETY_PARALLEL_FROM + 10):
        pages[f"threat-vectors/v{i:03}.md"] = f"---\ntitle: V{i}\n---\n\n# V{i}\n\n{hostile.get(i, 'Plain.')}\n"
    forks = counted_forks(monkeypatch)

    def found(jobs: str) -> list[str]:
        monkeypatch.setenv("TIDE_JOBS", jobs)
        return [d.text() for d in build_site(pages, SITE, tmp_path / jobs, site_config(), ATTACK)]

    alone = found("1")
    assert forks == []
    assert found("2") == alone
    assert forks == [2, 2, 2]  # the two page loops, then the script check
    assert list(dict.fromkeys(line.split(":")[0] for line in alone)) == [
        "<generated>/threat-vectors/v009.md", "<generated>/threat-vectors/v023.md",
        "<generated>/threat-vectors/v300.md"]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_damaged_memo_entries_are_misses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: str) -> None:
    import pickle

    from tide.cache import Cache

    monkeypatch.setenv("TIDE_JOBS", jobs)
    pages = {"index.md": "---\ntitle: Home\n---\n\n# Home\n"}
    pages |= {f"threat-vectors/v{i:03}.md": f"---\ntitle: V{i}\n---\n\n# V{i}\n\n## Part\n\nText {i}.\n"
              for i in range(site_parallel.PARALLEL_FROM + 5)}
    memo = Cache(tmp_path / "cache", "0" * 64, kind="site")

    def build(out: str) -> dict[str, str]:
        assert build_site(pages, SITE, tmp_path / out, site_config(), ATTACK, memo=memo) == []
        return tree(tmp_path / out)

    expected = build("first")
    damaged = [b"not a pickle", pickle.dumps(("a", "tuple", "of", "four")), pickle.dumps({"not": "a list"})]
    entries = sorted(path.name for path in memo.dir.rglob("*") if path.is_file())
    for i, key in enumerate(entries):
        memo.put(key, damaged[i % len(damaged)])
    assert build("again") == expected

"""A build whose site inputs did not change takes the previous site over whole (tide.site_carry):
the same bytes as building it, without running MkDocs; anything the key digests, or a file of
the output changed by hand, builds it again."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from test_cache import project as small_project

import tide.site
from tide.build import Result, build
from tide.config import Config
from tide.site_carry import self_contained

TEMPLATES = Path("templates").absolute()
SEED = Path("threat-vectors") / "aws-stop-logging-cloudtrail.yaml"


def site_files(out: Path) -> dict[str, tuple[int, bytes]]:
    site = out / "site"
    return {p.relative_to(site).as_posix(): (p.stat().st_ino, p.read_bytes())
            for p in sorted(site.rglob("*")) if p.is_file()}


def built(config: Config, objects: Path, out: Path, use_cache: bool = True) -> Result:
    done = build([objects], out, config, site=True, templates=TEMPLATES, use_cache=use_cache)
    assert done.built, [d.text() for d in done.diagnostics]
    return done


def fresh(config: Config, objects: Path, tmp_path: Path) -> dict[str, bytes]:
    out = tmp_path / "fresh"
    shutil.rmtree(out, ignore_errors=True)
    built(config, objects, out, use_cache=False)
    return {rel: data for rel, (_, data) in site_files(out).items()}


def no_mkdocs(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("MkDocs ran")
    monkeypatch.setattr(tide.site, "run_mkdocs", refuse)


@pytest.fixture
def made(tmp_path: Path) -> tuple[Config, Path, Path]:
    config, objects = small_project(tmp_path)
    shutil.copytree("site", tmp_path / "site")  # the MkDocs project
    return config, objects, tmp_path / "build"


def test_a_build_that_changes_nothing_takes_the_whole_site_over(
        made: tuple[Config, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config, objects, out = made
    first = built(config, objects, out)
    before = site_files(out)
    with monkeypatch.context() as patch:
        no_mkdocs(patch)
        again = built(config, objects, out)
    after = site_files(out)
    assert after == before  # every file: same inode, same bytes
    assert [d.text() for d in again.diagnostics] == [d.text() for d in first.diagnostics]
    assert {rel: data for rel, (_, data) in after.items()} == fresh(config, objects, tmp_path)


def test_an_edit_builds_the_site_and_the_next_build_takes_that_one_over(
        made: tuple[Config, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config, objects, out = made
    built(config, objects, out)
    before = site_files(out)
    seed = objects / SEED
    seed.write_text(seed.read_text("utf-8").replace("  description: |\n", "  description: |\n    An edit.\n\n", 1),
                    "utf-8")
    built(config, objects, out)
    edited = site_files(out)
    assert edited["index.html"][0] != before["index.html"][0]
    assert {rel: data for rel, (_, data) in edited.items()} == fresh(config, objects, tmp_path)
    assert any(b"An edit." in data for _, data in edited.values())
    with monkeypatch.context() as patch:
        no_mkdocs(patch)
        built(config, objects, out)
    assert site_files(out) == edited


@pytest.mark.parametrize("change", ["a file of the site edited by hand", "a file of the site removed",
                                    "the kept diagnostics lost", "another SOURCE_DATE_EPOCH"])
def test_what_the_takeover_cannot_vouch_for_is_built_again(
        made: tuple[Config, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str) -> None:
    config, objects, out = made
    built(config, objects, out)
    expected = {rel: data for rel, (_, data) in site_files(out).items()}
    if change == "a file of the site edited by hand":
        with (out / "site" / "index.html").open("ab") as handle:
            handle.write(b"<!-- changed -->")
    elif change == "a file of the site removed":
        (out / "site" / "sitemap.xml").unlink()
    elif change == "the kept diagnostics lost":
        for entry in (config.root / ".tide-cache" / "site").rglob("*"):
            if entry.is_file():
                entry.unlink()
    else:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    ran: list[int] = []
    run_mkdocs = tide.site.run_mkdocs
    monkeypatch.setattr(tide.site, "run_mkdocs", lambda *a, **k: ran.append(1) or run_mkdocs(*a, **k))
    built(config, objects, out)
    assert ran == [1]
    now = {rel: data for rel, (_, data) in site_files(out).items()}
    assert now == fresh(config, objects, tmp_path)
    if change != "another SOURCE_DATE_EPOCH":
        assert now == expected
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".build.")]  # no staging left


SHIPPED = Path("site/mkdocs.yml").read_text("utf-8")


@pytest.mark.parametrize("extra", [
    "hooks:\n  - hooks.py\n",
    "extra:\n  version: !ENV [VERSION, dev]\n",
    "INHERIT: ../base.yml\n",
    "markdown_extensions:\n  - pymdownx.snippets:\n      base_path: /etc\n",
    "theme:\n  name: material\n  custom_dir: /elsewhere/overrides\n",
    "theme:\n  name: material\n  custom_dir: ../overrides\n",
    "plugins:\n  - search\n  - git-revision-date-localized\n",
    "plugins: search\n",
])
def test_a_project_that_can_read_what_the_key_cannot_see_is_not_taken_over(extra: str) -> None:
    assert self_contained(SHIPPED)
    assert self_contained("theme:\n  name: material\n  custom_dir: overrides\nplugins:\n  - tags\n")
    key = extra.split(":", 1)[0]
    text = "\n".join(line for line in SHIPPED.splitlines() if not line.startswith(f"{key}:")) + "\n" + extra
    if key in ("markdown_extensions", "plugins", "theme"):  # the setting replaced, not repeated
        text = _without_block(SHIPPED, key) + extra
    assert not self_contained(text)


def _without_block(text: str, key: str) -> str:
    lines, skipping = [], False
    for line in text.splitlines():
        if line.startswith(f"{key}:"):
            skipping = True
            continue
        if skipping and (line.startswith((" ", "-")) or not line.strip()):
            continue
        skipping = False
        lines.append(line)
    return "\n".join(lines) + "\n"


def test_nothing_is_kept_from_a_build_without_the_cache(made: tuple[Config, Path, Path]) -> None:
    config, objects, out = made
    built(config, objects, out, use_cache=False)
    assert not (config.root / ".tide-cache").exists() or not any((config.root / ".tide-cache").rglob("*.*"))
    assert os.path.isfile(out / "site" / "index.html")

"""`tide build` end to end: outputs, determinism, and atomicity (a failed build changes nothing)."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import tide.build
import tide.incremental
from tide.cli import main
from tide.config import load_config
from tide.diagnostics import error
from tide.output import OutputError, Staging


def tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_build_writes_every_output_and_is_deterministic(tmp_path: Path) -> None:
    assert main(["build", "--no-site", "--out", str(tmp_path / "a")]) == 0
    assert main(["build", "--no-site", "--out", str(tmp_path / "b")]) == 0
    first, second = tree(tmp_path / "a"), tree(tmp_path / "b")
    assert first == second
    assert "markdown/threat-vectors/aws-stop-logging-cloudtrail.md" in first
    assert "misp/manifest.json" in first and "misp/hashes.csv" in first
    assert {"attack-navigator.json", "index.json"} <= set(first)
    index = json.loads((tmp_path / "a" / "index.json").read_text())
    assert sorted(v["file"] for v in index["vectors"]) == sorted(
        p.as_posix() for p in Path("objects").rglob("*.yaml"))
    assert not list(tmp_path.glob(".*staging*")), "no staging directory is left behind"


def test_errors_write_nothing_and_keep_the_previous_build(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "build"
    assert main(["build", "--no-site", "--out", str(out)]) == 0
    before = tree(out)
    broken = tmp_path / "objects"
    shutil.copytree("objects", broken)
    seed = broken / "threat-vectors" / "aws-stop-logging-cloudtrail.yaml"
    seed.write_text(seed.read_text().replace("criticality: Low", "criticality: Lowest"))
    assert main(["build", "--no-site", "--out", str(out), str(broken)]) == 1
    assert "nothing written" in capsys.readouterr().err
    assert tree(out) == before


def test_a_failing_site_stage_keeps_the_previous_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "build"
    assert main(["build", "--no-site", "--out", str(out)]) == 0
    before = tree(out)

    def broken_site(*args: object, **kwargs: object) -> list[object]:
        return [error("site/mkdocs.yml", 1, 1, "site-error", "the site does not build")]

    monkeypatch.setattr("tide.site.build_site", broken_site)
    assert main(["build", "--out", str(out)]) == 1
    assert tree(out) == before
    assert not list(tmp_path.glob(".*staging*"))


def test_a_crash_half_way_keeps_the_previous_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "build"
    assert main(["build", "--no-site", "--out", str(out)]) == 0
    before = tree(out)
    real_outputs = tide.build.outputs

    def half_written(*args: object, **kwargs: object) -> Iterator[tuple[str, bytes]]:
        yield from real_outputs(*args, **kwargs)  # type: ignore[arg-type]
        yield "../escape.txt", b"x"  # the writer refuses this one, after the others

    monkeypatch.setattr(tide.build, "outputs", half_written)
    monkeypatch.setattr(tide.incremental, "quick_build", lambda *args: None)  # test_incremental has its own
    assert main(["build", "--no-site", "--out", str(out)]) == 2
    assert tree(out) == before
    assert not (tmp_path / "escape.txt").exists()
    assert not list(tmp_path.glob(".*staging*"))


@pytest.mark.parametrize("rel", ["../x", "/etc/passwd", "a/../../x", "a//b", "", ".", "a/./b", "a\\b", "~x"])
def test_the_writer_refuses_paths_that_leave_the_output(tmp_path: Path, rel: str) -> None:
    with Staging(tmp_path / "out") as stage, pytest.raises(OutputError):
        stage.write(rel, b"x")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("rel", ["../x", "/etc/passwd", "a/../x", "a/", "a/.", "a/..", "a/b/", "/a/x", "a/\\x"])
def test_the_writer_refuses_unsafe_paths_in_folders_it_already_made(tmp_path: Path, rel: str) -> None:
    with Staging(tmp_path / "out") as stage:
        stage.write("top", b"x")
        stage.write("a/x", b"x")
        stage.write("a/b/y", b"x")
        with pytest.raises(OutputError):
            stage.write(rel, b"x")
    assert list(tmp_path.iterdir()) == []


def test_corpus_builds_every_output(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "build"
    assert main(["build", "--no-site", "--out", str(out), str(corpus)]) == 0
    pages = list((out / "markdown" / "threat-vectors").glob("*.md"))
    events = [p for p in (out / "misp").glob("*.json") if p.name != "manifest.json"]
    assert len(pages) == 226 and len(events) == 226
    assert len(json.loads((out / "index.json").read_text())["vectors"]) == 226


def test_the_cache_never_changes_a_build(tmp_path: Path) -> None:
    objects = tmp_path / "objects"
    shutil.copytree("objects", objects)
    cached, fresh = tmp_path / "cached", tmp_path / "fresh"
    for step in range(3):
        if step == 2:  # an edit between builds: only the cache may know the old version
            seed = objects / "threat-vectors" / "aws-stop-logging-cloudtrail.yaml"
            seed.write_text(seed.read_text().replace("version: 1", "version: 2").replace(
                "A threat actor requires", "An adversary requires"))
        assert main(["build", "--no-site", "--out", str(cached), str(objects)]) == 0
        assert main(["build", "--no-site", "--no-cache", "--out", str(fresh), str(objects)]) == 0
        assert tree(cached) == tree(fresh)


@pytest.mark.parametrize("enabled", [True, False])
def test_a_build_pauses_the_cycle_collector_and_restores_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           enabled: bool) -> None:
    import gc

    seen: list[bool] = []

    def failing(*args: object, **kwargs: object) -> Iterator[tuple[str, bytes]]:
        seen.append(gc.isenabled())
        raise OSError("disk full")

    monkeypatch.setattr(tide.build, "outputs", failing)
    (gc.enable if enabled else gc.disable)()
    try:
        with pytest.raises(OSError):
            tide.build.build([Path("objects")], tmp_path / "out", load_config(Path.cwd()), site=False)
        assert seen == [False] and gc.isenabled() is enabled
    finally:
        gc.enable()


def test_the_site_stage_runs_with_the_cycle_collector_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    import tide.site

    seen: list[bool] = []

    def site(*args: object, **kwargs: object) -> list[object]:
        seen.append(gc.isenabled())
        return [error("site", 1, 1, "test", "stop here")]

    monkeypatch.setattr(tide.site, "build_site", site)
    tide.build.build([Path("objects")], tmp_path / "out", load_config(Path.cwd()), site=True)
    assert seen == [True] and gc.isenabled()


def dying(*args: object) -> object:
    """A worker's task that kills its process, as the kernel's out-of-memory killer would."""
    import os

    os._exit(9)


@pytest.mark.parametrize("stage", ["check", "outputs"])
def test_a_worker_process_that_dies_is_one_line_and_keeps_the_previous_build(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], stage: str) -> None:
    import tide.outputs

    out = tmp_path / "build"
    assert main(["build", "--no-site", "--out", str(out)]) == 0
    before = tree(out)
    monkeypatch.setenv("TIDE_JOBS", "2")
    if stage == "check":
        monkeypatch.setattr(tide.build, "PARALLEL_FROM", 2)
        monkeypatch.setattr(tide.build, "_check_chunk", dying)
    else:
        monkeypatch.setattr(tide.outputs, "RENDER_PARALLEL_FROM", 2)
        monkeypatch.setattr(tide.outputs, "_write_share", dying)
    capsys.readouterr()
    assert main(["build", "--no-site", "--no-cache", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "worker process stopped unexpectedly" in err and "Traceback" not in err
    assert tree(out) == before
    assert not list(tmp_path.glob(".*staging*"))

"""Pages the previous output has from the same inputs are taken over (hard-linked), never
trusted blindly: the output is always byte for byte what a build without any cache writes."""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path

import pytest
from test_build import tree
from test_cache import project

import tide.incremental
import tide.outputs
from tide.build import build
from tide.config import Config, ConfigError
from tide.output import OutputError, Staging

TEMPLATES = Path("templates").absolute()


@pytest.fixture(autouse=True)
def _full_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about what a full build takes over; test_incremental has the quick builds."""
    monkeypatch.setattr(tide.incremental, "quick_build", lambda *args: None)


def run(config: Config, objects: Path, out: Path, use_cache: bool = True) -> dict[str, str]:
    assert build([objects], out, config, site=False, templates=TEMPLATES, use_cache=use_cache).errors == 0
    return tree(out)


def inodes(out: Path, pattern: str = "markdown/**/*.md") -> dict[str, int]:
    return {p.relative_to(out).as_posix(): p.stat().st_ino for p in out.glob(pattern)}


def test_unchanged_pages_are_taken_over_and_changed_ones_made(tmp_path: Path) -> None:
    config, objects = project(tmp_path)
    out, fresh = tmp_path / "build", tmp_path / "fresh"
    first = run(config, objects, out)
    before = inodes(out)
    assert run(config, objects, out) == first
    assert inodes(out) == before  # every page is the previous build's file
    shutil.copytree(out, fresh)  # the same previous output (the MISP feed's timestamps depend on it)
    seed = objects / "threat-vectors" / "aws-stop-logging-cloudtrail.yaml"
    text = seed.read_text("utf-8").replace("  description: |\n", "  description: |\n    An edit.\n\n", 1)
    seed.write_text(text, "utf-8")
    edited = run(config, objects, out)
    assert edited == run(config, objects, fresh, use_cache=False)
    page = "markdown/threat-vectors/aws-stop-logging-cloudtrail.md"
    assert edited[page] != first[page]
    after = inodes(out)
    remade = {p for p in before if after.get(p) != before[p]}
    assert page in remade and len(remade) < len(before) / 2


def test_a_page_changed_or_removed_by_hand_is_made_again(tmp_path: Path) -> None:
    config, objects = project(tmp_path)
    out = tmp_path / "build"
    first = run(config, objects, out)
    edited, removed = sorted((out / "markdown").rglob("*.md"))[:2]
    with edited.open("a", encoding="utf-8") as handle:
        handle.write("Added by hand.\n")
    removed.unlink()
    assert run(config, objects, out) == first


def test_without_the_cache_nothing_is_taken_over(tmp_path: Path) -> None:
    config, objects = project(tmp_path)
    out = tmp_path / "build"
    first = run(config, objects, out)
    before = inodes(out)
    assert run(config, objects, out, use_cache=False) == first
    after = inodes(out)
    assert all(after[p] != before[p] for p in before)


def test_a_build_into_another_directory_takes_nothing_from_the_first(tmp_path: Path) -> None:
    config, objects = project(tmp_path)
    first = run(config, objects, tmp_path / "one")
    assert run(config, objects, tmp_path / "two") == first
    one, two = inodes(tmp_path / "one"), inodes(tmp_path / "two")
    assert all(one[p] != two[p] for p in one)
    shutil.rmtree(tmp_path / "one")
    assert run(config, objects, tmp_path / "two") == first  # its own record still holds


def test_unchanged_events_of_the_feed_are_taken_over(tmp_path: Path) -> None:
    config, objects = project(tmp_path)
    out, fresh = tmp_path / "build", tmp_path / "fresh"
    run(config, objects, out)
    second = run(config, objects, out)  # the first with a previous feed: events are stamped against it
    events = inodes(out, "misp/*-*.json")
    assert len(events) == 4
    assert run(config, objects, out) == second and inodes(out, "misp/*-*.json") == events
    shutil.copytree(out, fresh)
    seed = objects / "threat-vectors" / "aws-stop-logging-cloudtrail.yaml"
    seed.write_text(seed.read_text("utf-8").replace("version: 1", "version: 2", 1), "utf-8")
    assert run(config, objects, out) == run(config, objects, fresh, use_cache=False)
    after = inodes(out, "misp/*-*.json")
    assert sum(after[p] != events[p] for p in events) == 1  # the seed's event alone


REAL_WRITE_SHARE = tide.outputs._write_share


def marked_share(i: int, n: int) -> object:
    """`_write_share`, leaving a mark of which process did which share (workers are forked)."""
    (Path(os.environ["TIDE_TEST_MARKS"]) / f"{os.getpid()}-{i}-{n}").touch()
    return REAL_WRITE_SHARE(i, n)


def test_worker_processes_write_what_one_process_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Above RENDER_PARALLEL_FROM vectors, forked workers make and write the vector pages and events.
    config, objects = project(tmp_path)
    alone = run(config, objects, tmp_path / "alone", use_cache=False)
    monkeypatch.setattr(tide.outputs, "RENDER_PARALLEL_FROM", 2)
    monkeypatch.setenv("TIDE_JOBS", "3")
    marks = tmp_path / "marks"
    marks.mkdir()
    monkeypatch.setenv("TIDE_TEST_MARKS", str(marks))
    monkeypatch.setattr(tide.outputs, "_write_share", marked_share)
    out = tmp_path / "build"
    assert run(config, objects, out, use_cache=False) == alone
    # Two workers for three cores: this process makes the rest, then claims pages with them.
    assert {m.name.split("-", 1)[1] for m in marks.iterdir()} == {"0-2", "1-2"}
    assert os.getpid() not in {int(m.name.split("-")[0]) for m in marks.iterdir()}
    assert run(config, objects, out) == alone  # filling the cache, in the workers too
    second = run(config, objects, out)  # stamped against a previous feed
    pages, events = inodes(out), inodes(out, "misp/*-*.json")
    assert run(config, objects, out) == second
    assert inodes(out) == pages and inodes(out, "misp/*-*.json") == events  # taken over by the workers
    monkeypatch.setenv("TIDE_JOBS", "1")
    assert run(config, objects, tmp_path / "one") == alone


def idle_share(i: int, n: int) -> object:
    """A worker that claims nothing: it ends at once."""
    return {}, []


def test_what_the_workers_leave_this_process_makes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config, objects = project(tmp_path)
    alone = run(config, objects, tmp_path / "alone", use_cache=False)
    monkeypatch.setattr(tide.outputs, "RENDER_PARALLEL_FROM", 2)
    monkeypatch.setenv("TIDE_JOBS", "2")
    monkeypatch.setattr(tide.outputs, "_write_share", idle_share)
    assert run(config, objects, tmp_path / "build", use_cache=False) == alone


def test_a_worker_that_fails_fails_the_build_and_keeps_the_previous_one(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    config, objects = project(tmp_path)
    out = tmp_path / "build"
    first = run(config, objects, out)
    monkeypatch.setattr(tide.outputs, "RENDER_PARALLEL_FROM", 2)
    monkeypatch.setenv("TIDE_JOBS", "2")
    broken = tmp_path / "templates"
    shutil.copytree(TEMPLATES, broken)
    (broken / "vector.md.j2").write_text("{{ page.no_such_field }}\n", "utf-8")
    with pytest.raises(ConfigError, match=r"vector\.md\.j2"):
        build([objects], out, config, site=False, templates=broken)
    assert tree(out) == first
    assert not list(tmp_path.glob(".*staging*"))


def test_a_record_with_unusable_event_data_makes_the_events_again(tmp_path: Path) -> None:
    config, objects = project(tmp_path)
    out, fresh = tmp_path / "build", tmp_path / "fresh"
    run(config, objects, out)
    second = run(config, objects, out)
    entries = [p for p in (tmp_path / ".tide-cache" / "outputs").rglob("*") if p.is_file()]
    assert len(entries) == 1
    key, (record, state) = pickle.loads(entries[0].read_bytes())
    damaged = {rel: (*entry[:4], "not a manifest entry") if rel.startswith("misp/") else entry
               for rel, entry in record.items()}
    entries[0].write_bytes(pickle.dumps((key, (damaged, state))))
    shutil.copytree(out, fresh)
    assert run(config, objects, out) == second == run(config, objects, fresh, use_cache=False)
    assert tree(fresh) == second  # nothing was written through a link into the previous output


def test_a_file_is_never_written_twice(tmp_path: Path) -> None:
    with Staging(tmp_path / "out") as stage:
        stage.write("a/b.md", b"first")
        with pytest.raises(OutputError, match="twice"):
            stage.write("a/b.md", b"second")
        assert (stage.dir / "a" / "b.md").read_bytes() == b"first"


def test_an_event_edited_by_hand_is_made_as_without_the_cache(tmp_path: Path) -> None:
    # Its file no longer matches the manifest: without the cache it cannot be read as the previous
    # event, so it is sent again with a newer timestamp; the cache must not restore the old one.
    config, objects = project(tmp_path)
    out, fresh = tmp_path / "build", tmp_path / "fresh"
    run(config, objects, out)
    run(config, objects, out)  # every event now in the memo, made against a previous feed
    event = sorted((out / "misp").glob("*-*.json"))[0]
    before = event.read_text("utf-8")
    event.write_text(before.replace('"info": "', '"info": "Edited: ', 1), "utf-8")
    shutil.copytree(out, fresh)
    remade = run(config, objects, out)
    assert remade == run(config, objects, fresh, use_cache=False)
    again = json.loads(event.read_text("utf-8"))["Event"]
    assert "Edited" not in again["info"]
    assert int(again["timestamp"]) > int(json.loads(before)["Event"]["timestamp"])  # sent again

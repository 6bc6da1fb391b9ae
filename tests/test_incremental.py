"""Quick builds (tide.incremental): after an edit only a few outputs show, a `build --no-site`
makes those and takes the rest over. Whichever way a build goes, its output is byte for byte
what a build without any cache writes from the same previous output."""

from __future__ import annotations

import dataclasses
import functools
import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import require_corpus
from test_build import tree

import tide.incremental
from tide.build import Result, build
from tide.config import Config, load_config
from tide.output import OutputError, Staging

TEMPLATES = Path("templates").absolute()
HUB = "Azure - Valid Credentials.yaml"  # chains to and from many vectors


def load(path: Path) -> Any:
    return yaml.load(path.read_text("utf-8"), Loader=yaml.CSafeLoader)


@functools.cache
def chain_closed(corpus: Path, seeds: tuple[str, ...], extra: int) -> list[Path]:
    """ShareTide files: the seeds and every vector their chaining reaches, plus `extra` vectors
    without chaining. A real, connected slice of the corpus, small enough to build often."""
    docs = {p: load(p) for p in sorted(corpus.glob("*.yaml"))}
    by_uuid = {d["metadata"]["uuid"]: p for p, d in docs.items()}
    todo, chosen = [corpus / s for s in seeds], set()
    while todo:
        path = todo.pop()
        if path not in chosen:
            chosen.add(path)
            todo += [by_uuid[c["vector"]] for c in docs[path]["threat"].get("chaining") or []]
    plain = [p for p, d in docs.items() if not d["threat"].get("chaining") and p not in chosen]
    return sorted(chosen) + plain[:extra]


@dataclasses.dataclass
class Project:
    config: Config
    objects: Path
    out: Path
    templates: Path = TEMPLATES

    def build(self, out: Path | None = None, use_cache: bool = True) -> Result:
        return build([self.objects], out or self.out, self.config, site=False, templates=self.templates,
                     use_cache=use_cache)

    def file(self, name: str) -> Path:
        return self.objects / name

    def edit(self, name: str, change: Callable[[dict[str, Any]], None]) -> None:
        path = self.file(name)
        data = yaml.safe_load(path.read_text("utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")

    def expected(self, tmp_path: Path) -> tuple[Result, dict[str, str]]:
        """A build without any cache, from a copy of the current output (the MISP feed's
        timestamps depend on the previous feed)."""
        fresh = tmp_path / "fresh"
        shutil.rmtree(fresh, ignore_errors=True)
        shutil.copytree(self.out, fresh)
        result = self.build(fresh, use_cache=False)
        return result, tree(fresh)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    corpus = require_corpus()
    objects = tmp_path / "objects"
    objects.mkdir()
    for path in chain_closed(corpus, (HUB,), 3):
        shutil.copy(path, objects / path.name)
    config = dataclasses.replace(load_config(Path.cwd()), root=tmp_path)
    made = Project(config, objects, tmp_path / "build")
    assert made.build().built
    assert made.build().quick  # nothing changed
    return made


def same_as_full(project: Project, tmp_path: Path, quick: bool, kind: str = "") -> Result:
    """Build; check which way it went and that it wrote what a build without a cache writes."""
    result, expected = project.expected(tmp_path)
    done = project.build()
    assert done.built and done.quick is quick, kind
    assert tree(project.out) == expected, kind
    assert done.diagnostics == result.diagnostics and done.files == result.files, kind
    return done


def neighbours_of_hub(project: Project) -> list[str]:
    data = load(project.file(HUB))
    uuids = {c["vector"] for c in data["threat"]["chaining"]}
    return sorted(p.name for p in project.objects.glob("*.yaml")
                  if load(p)["metadata"]["uuid"] in uuids)


def prepend(field: str, text: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data["threat"][field] = text + data["threat"][field]
    return change


def edit_all(project: Project, names: list[str], change: Callable[[dict[str, Any]], None]) -> None:
    for name in names:
        project.edit(name, change)


def add_reference(data: dict[str, Any]) -> None:
    public = data.setdefault("references", {}).setdefault("public", {}) or {}
    public[max((int(k) for k in public), default=0) + 1] = "https://example.org/new-reference"
    data["references"]["public"] = public


QUICK_EDITS: dict[str, Callable[[Project], None]] = {
    "description of the hub": lambda p: p.edit(HUB, prepend("description", "An edit.\n\n")),
    "terrain of a neighbour": lambda p: p.edit(neighbours_of_hub(p)[0], prepend("terrain", "Also this.\n")),
    "references": lambda p: p.edit(HUB, add_reference),
    "two chained files": lambda p: edit_all(p, [HUB, neighbours_of_hub(p)[1]], prepend("description", "Edited.\n\n")),
    "hostile html in a description": lambda p: p.edit(HUB, prepend("description", "<script>x()</script>\n\n")),
    "version and modification date": lambda p: p.edit(HUB, bump_version),
    "author of a vector nothing chains to": lambda p: p.edit(unchained(p).name, lambda d: d["metadata"].update(
        author="Someone Else")),
    "a modification date before the creation date (a warning)": lambda p: p.edit(
        neighbours_of_hub(p)[0], lambda d: d["metadata"].update(modified="2000-01-01")),
    "same bytes written again": lambda p: p.file(HUB).write_bytes(p.file(HUB).read_bytes()),
    "nothing": lambda p: None,
}


def test_an_edit_only_a_few_outputs_show_is_built_quickly_and_exactly(project: Project, tmp_path: Path) -> None:
    # One edit after the other, as in a working session: each quick build starts from the record
    # the previous quick build left.
    seen: list[str] = []
    original = project.file(HUB).read_bytes()
    for kind, edit in QUICK_EDITS.items():
        before = tree(project.out)
        edit(project)
        done = same_as_full(project, tmp_path, quick=True, kind=kind)
        assert (tree(project.out) == before) is (kind in ("nothing", "same bytes written again")), kind
        warned = "a modification date before the creation date (a warning)" in list(QUICK_EDITS)[:len(seen) + 1]
        assert any(d.code == "date-order" for d in done.diagnostics) is warned, kind  # and kept after
        seen.append(kind)
    project.file(HUB).write_bytes(original)  # every edit of the hub undone: its old pages come back
    same_as_full(project, tmp_path, quick=True, kind="undone")


def test_a_quick_build_remakes_only_the_pages_that_show_the_edit(project: Project) -> None:
    inodes = {p: p.stat().st_ino for p in project.out.rglob("*") if p.is_file()}
    project.edit(HUB, prepend("description", "An edit.\n\n"))
    assert project.build().quick
    remade = {p.relative_to(project.out).as_posix() for p in project.out.rglob("*")
              if p.is_file() and inodes.get(p) != p.stat().st_ino}
    slug = "azure-valid-credentials"
    assert f"markdown/threat-vectors/{slug}.md" in remade
    assert {"misp/manifest.json", "misp/hashes.csv"} <= remade
    assert len([r for r in remade if r.startswith("misp/") and r.endswith(".json")]) == 2  # its event, manifest
    pages = {r for r in remade if r.startswith("markdown/")}
    assert all(r.startswith("markdown/threat-vectors/") for r in pages)  # no catalogue page
    assert len(pages) == 1 + len(set(neighbours_of_hub(project)) | inbound_of_hub(project))


def inbound_of_hub(project: Project) -> set[str]:
    uuid = load(project.file(HUB))["metadata"]["uuid"]
    return {p.name for p in project.objects.glob("*.yaml")
            if uuid in {c["vector"] for c in load(p)["threat"].get("chaining") or []}}


def unchained(project: Project) -> Path:
    """A file that chains to nothing and that nothing chains to."""
    docs = {p: load(p) for p in sorted(project.objects.glob("*.yaml"))}
    targets = {c["vector"] for d in docs.values() for c in d["threat"].get("chaining") or []}
    return next(p for p, d in docs.items() if not d["threat"].get("chaining") and d["metadata"]["uuid"] not in targets)


def rename(data: dict[str, Any]) -> None:
    data["name"] = data["name"] + " (renamed)"


def drop_chaining(data: dict[str, Any]) -> None:
    data["threat"]["chaining"] = data["threat"]["chaining"][1:]


def bump_version(data: dict[str, Any]) -> None:
    data["metadata"]["version"] = int(data["metadata"]["version"]) + 1
    data["metadata"]["modified"] = "2026-11-29"


def new_file(project: Project) -> None:
    data = load(project.file(HUB))
    data["metadata"]["uuid"] = "0f6d7c1e-7d5a-4a51-9d7e-2a1b3c4d5e6f"
    data["name"] = "A new vector"
    data["threat"].pop("chaining", None)
    (project.objects / "new.yaml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")


def other_templates(project: Project) -> None:
    templates = project.objects.parent / "templates"
    shutil.copytree(TEMPLATES, templates)
    with (templates / "vector.md.j2").open("a", encoding="utf-8") as handle:
        handle.write("\nA line from the project's own template.\n")
    project.templates = templates


def other_organisation(project: Project) -> None:
    project.config = dataclasses.replace(project.config, organisation_name="Another organisation")


def edited_by_hand(rel: str) -> Callable[[Project], None]:
    def change(project: Project) -> None:
        with (project.out / rel).open("a", encoding="utf-8") as handle:
            handle.write("\n")
    return change


FULL_EDITS: dict[str, Callable[[Project], None]] = {
    "name": lambda p: p.edit(HUB, rename),
    "criticality": lambda p: p.edit(HUB, lambda d: d.update(criticality="Emergency")),
    "chaining": lambda p: p.edit(HUB, drop_chaining),
    "new file": new_file,
    "removed file": lambda p: unchained(p).unlink(),
    "templates": other_templates,
    "settings": other_organisation,
    "index.json edited by hand": edited_by_hand("index.json"),
    "a layer edited by hand": edited_by_hand("attack-navigator.json"),
    "an event edited by hand": lambda p: edited_by_hand(
        next(r.relative_to(p.out).as_posix() for r in (p.out / "misp").glob("*-*.json")))(p),
    "manifest removed": lambda p: (p.out / "misp" / "manifest.json").unlink(),
    "output removed": lambda p: shutil.rmtree(p.out),
}


def test_any_other_change_makes_the_full_build(project: Project, tmp_path: Path) -> None:
    for kind, edit in FULL_EDITS.items():
        edit(project)
        if kind == "output removed":
            assert project.build().quick is False
        else:
            same_as_full(project, tmp_path, quick=False, kind=kind)
        same_as_full(project, tmp_path, quick=True, kind=f"the build after: {kind}")  # the record serves it


def test_a_full_build_after_quick_ones_takes_their_files_over(project: Project, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    project.edit(HUB, prepend("description", "An edit.\n\n"))
    assert project.build().quick
    events = {p: p.stat().st_ino for p in (project.out / "misp").glob("*-*.json")}
    monkeypatch.setattr(tide.incremental, "quick_build", lambda *args: None)
    same_as_full(project, tmp_path, quick=False)
    assert {p: p.stat().st_ino for p in (project.out / "misp").glob("*-*.json")} == events


def test_a_file_with_errors_fails_the_build_and_keeps_the_output(project: Project) -> None:
    before = tree(project.out)
    project.edit(HUB, lambda d: d.update(criticality="Not a criticality"))
    result = project.build()
    assert result.errors and not result.built and not result.quick
    assert tree(project.out) == before


def test_a_same_size_edit_with_the_old_modification_time_is_seen(project: Project, tmp_path: Path) -> None:
    # A stale record must never make a build wrong: the change time gives the edit away.
    path = project.file(HUB)
    text = path.read_text("utf-8")
    stamp = path.stat()
    start = text.index("\n  description: |\n") + 20
    word = text.index(" the ", start)
    path.write_text(text[:word] + " THE " + text[word + 5:], "utf-8")
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert path.stat().st_size == stamp.st_size and path.stat().st_mtime_ns == stamp.st_mtime_ns
    before = tree(project.out)
    same_as_full(project, tmp_path, quick=True)
    assert tree(project.out) != before


def test_a_failure_half_way_keeps_the_previous_output(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    before = tree(project.out)
    project.edit(HUB, prepend("description", "An edit.\n\n"))
    real = Staging.write

    def failing(self: Staging, rel: str, data: bytes | str) -> os.stat_result:
        if rel == "misp/manifest.json":
            raise OutputError("the disk is full")
        return real(self, rel, data)

    monkeypatch.setattr(Staging, "write", failing)
    with pytest.raises(OutputError, match="disk is full"):
        project.build()
    assert tree(project.out) == before
    assert not list(project.out.parent.glob(".*staging*"))
    monkeypatch.setattr(Staging, "write", real)
    assert project.build().quick  # the record was left as it was: the next build goes on from it


def test_the_record_is_kept_per_output_directory(project: Project, tmp_path: Path) -> None:
    other = tmp_path / "other"
    assert project.build(other).quick is False
    assert project.build(other).quick
    assert tree(other) == tree(project.out)


def test_a_source_changed_in_the_same_clock_tick_is_never_trusted(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # File times tick coarsely: a file written just before its identity is taken could be written
    # again, at the same size, with the same times. It is recorded as unknown, checked next time.
    path = tmp_path / "vector.yaml"
    path.write_text("name: x\n", "utf-8")
    changed = path.stat().st_ctime_ns
    monkeypatch.setattr(tide.incremental.time, "time_ns", lambda: changed + 10**6)  # a millisecond on
    assert tide.incremental.source_identities([str(path)]) == {str(path): tide.incremental.UNKNOWN}
    monkeypatch.setattr(tide.incremental.time, "time_ns", lambda: changed + 10**9)  # a second on
    (identity,) = tide.incremental.source_identities([str(path)]).values()
    assert identity != tide.incremental.UNKNOWN and identity[1] == path.stat().st_size


def test_an_unknown_identity_is_checked_again(project: Project, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # Two builds in one clock tick: what the first recorded as unknown, the second checks.
    real = tide.incremental.source_identities
    monkeypatch.setattr(tide.incremental, "source_identities",
                        lambda paths: dict.fromkeys(paths, tide.incremental.UNKNOWN))
    assert project.build().quick
    project.edit(HUB, prepend("description", "Within the tick.\n\n"))
    same_as_full(project, tmp_path, quick=True)
    monkeypatch.setattr(tide.incremental, "source_identities", real)
    same_as_full(project, tmp_path, quick=True)


def test_a_damaged_record_makes_the_full_build(project: Project, tmp_path: Path) -> None:
    stored = [p for p in (project.config.root / ".tide-cache" / "outputs").rglob("*") if p.is_file()]
    assert len(stored) == 1
    key, (files, record) = pickle.loads(stored[0].read_bytes())
    damaged = {rel: (*entry[:4], "not what a build keeps") if rel.startswith("misp/") else entry
               for rel, entry in files.items()}
    stored[0].write_bytes(pickle.dumps((key, (damaged, record))))
    project.edit(HUB, prepend("description", "An edit.\n\n"))
    same_as_full(project, tmp_path, quick=False)
    stored[0].write_bytes(b"not a pickle")
    same_as_full(project, tmp_path, quick=False)
    same_as_full(project, tmp_path, quick=True)


def test_after_a_build_with_the_site_a_quick_build_writes_what_a_full_one_does(tmp_path: Path) -> None:
    from test_cache import project as small_project

    config, objects = small_project(tmp_path)
    shutil.copytree("site", tmp_path / "site")  # the MkDocs project
    made = Project(config, objects, tmp_path / "build")
    with_site = build([objects], made.out, config, site=True, templates=TEMPLATES)
    assert with_site.built, [d.text() for d in with_site.diagnostics]
    assert (made.out / "site" / "index.html").is_file()
    seed = objects / "threat-vectors" / "aws-stop-logging-cloudtrail.yaml"
    seed.write_text(seed.read_text("utf-8").replace("  description: |\n", "  description: |\n    An edit.\n\n", 1),
                    "utf-8")
    done = same_as_full(made, tmp_path, quick=True)  # the site is gone, as from any --no-site build
    assert not (made.out / "site").exists() and done.warnings == with_site.warnings


def cycle_criticality(data: dict[str, Any]) -> None:
    order = ["Low", "Medium", "High", "Emergency"]
    data["criticality"] = order[(order.index(data["criticality"]) + 1) % 4] if data["criticality"] in order else "Low"


def chain_to_an_unchained_file(project: Project) -> None:
    target = load(unchained(project))["metadata"]["uuid"]
    project.edit(HUB, lambda d: d["threat"]["chaining"].append(
        {"relation": "support::enabling", "vector": target, "description": "Added by the test."}))


def drop_a_chain(project: Project) -> None:
    if load(project.file(HUB))["threat"].get("chaining"):
        project.edit(HUB, drop_chaining)


# Edits that can be made again and again, in any order, quick or not.
MIXED_EDITS: dict[str, Callable[[Project], None]] = {
    **{kind: QUICK_EDITS[kind] for kind in ("description of the hub", "terrain of a neighbour", "references",
                                              "two chained files", "version and modification date", "nothing")},
    "criticality of a neighbour": lambda p: p.edit(neighbours_of_hub(p)[0], cycle_criticality),
    "name": lambda p: p.edit(HUB, rename),
    "a chain added": chain_to_an_unchained_file,
    "a chain dropped": drop_a_chain,
    "techniques": lambda p: p.edit(HUB, lambda d: d["threat"]["att&ck"].reverse()),
    "new file": new_file,
}


@pytest.mark.parametrize("seed", [1, 2])
def test_random_runs_of_edits_build_what_a_build_without_the_cache_builds(project: Project, tmp_path: Path,
                                                                         seed: int) -> None:
    # The targeted tests above take one edit at a time; a working session mixes them. Whatever
    # the mix, each build (quick, or full from the cache and the previous output) writes exactly
    # what a build without any cache writes.
    import random

    rng = random.Random(seed)
    for step in range(8):
        kinds = rng.sample(sorted(MIXED_EDITS), rng.choice([1, 1, 2, 3]))
        for kind in kinds:
            MIXED_EDITS[kind](project)
        result, expected = project.expected(tmp_path)
        done = project.build()
        assert done.built and tree(project.out) == expected, (step, kinds)
        assert done.diagnostics == result.diagnostics, (step, kinds)

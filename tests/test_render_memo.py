"""The page memo: a render that takes pages from a memo gives, byte for byte, what a render without
one gives, through a series of edits to a catalogue; and the pages an edit cannot reach are really
taken from the memo (every remembered text carries a mark, so a page that shows it came from there).
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_render_corpus import CORPUS, compile_paths, need

from tide.cache import Cache
from tide.model import Actor, Catalogue, Organisation, Vector
from tide.render import render_markdown, vector_page
from tide.render.lookup import build_lookup
from tide.render.memo import UNLISTED_FIELDS, UNREAD_FIELDS, PageKeys, digest, setup_digest

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
MARK = "\n<!-- from the memo -->\n"


class MarkingMemo:
    """A memo in a dict. `mark()` appends MARK to every page stored so far (UTF-8 bytes)."""

    def __init__(self) -> None:
        self.entries: dict[str, Any] = {}

    def get(self, key: str) -> Any | None:
        return self.entries.get(key)

    def put(self, key: str, value: Any) -> None:
        self.entries[key] = value

    def mark(self) -> None:
        for key, value in self.entries.items():
            if isinstance(value, bytes) and not value.endswith(MARK.encode()):
                self.entries[key] = value + MARK.encode()


@pytest.fixture(scope="module")
def sample() -> Catalogue:
    """About 50 ShareTide vectors: a chained cluster (with chains leading out of the sample), the
    small chained groups and a few vectors that chain to nothing."""
    full = compile_paths(need(CORPUS))
    look = build_lookup(full)
    neighbours: dict[str, set[str]] = {v.uuid: set() for v in full.vectors}
    for v in full.vectors:
        for c in v.chaining:
            if c.target_uuid in neighbours:
                neighbours[v.uuid].add(c.target_uuid)
                neighbours[c.target_uuid].add(v.uuid)
    start = max(full.vectors, key=lambda v: (len(neighbours[v.uuid]), v.uuid))
    picked: list[str] = [start.uuid]
    for uuid in picked:  # breadth first, growing while it is walked
        picked += sorted(n for n in neighbours[uuid] if n not in picked)[: max(0, 25 - len(picked))]
    small = [v.uuid for v in full.vectors if neighbours[v.uuid] and v.uuid not in picked
             and not neighbours[v.uuid] & set(picked)][:14]
    alone = [v.uuid for v in full.vectors if not neighbours[v.uuid]][:10]
    keep = set(picked + small + alone)
    assert len(keep) > 40 and any(look.inbound.get(u) for u in keep)
    return dataclasses.replace(full, vectors=tuple(v for v in full.vectors if v.uuid in keep))


def fresh(catalogue: Catalogue) -> dict[str, dict[str, str]]:
    return {f: render_markdown(catalogue, TEMPLATES, f) for f in ("portable", "mkdocs")}


def remembered(catalogue: Catalogue, memo: MarkingMemo) -> tuple[dict[str, dict[str, str]], set[str]]:
    """Both flavours through the memo, checked against renders without it; the vector pages of
    both flavours that came from the memo."""
    memo.mark()
    expected = fresh(catalogue)
    served: set[str] = set()
    for flavour, pages in expected.items():
        got = render_markdown(catalogue, TEMPLATES, flavour, memo)
        from_memo = {path for path, text in got.items() if text.endswith(MARK)}
        got = {path: text.removesuffix(MARK) for path, text in got.items()}
        assert list(got) == list(pages)
        assert got == pages, sorted(p for p in pages if got[p] != pages[p])
        served |= {f"{flavour}:{p}" for p in from_memo}
    return expected, served


def vectors_near(catalogue: Catalogue, uuids: set[str]) -> set[str]:
    """The vectors `uuids` and those one chaining step away from them, either way."""
    near = set(uuids)
    for v in catalogue.vectors:
        targets = {c.target_uuid for c in v.chaining}
        if v.uuid in uuids or targets & uuids:
            near |= targets | {v.uuid}
    return near


def edited(vector: Vector | None) -> Vector | None:
    """What enriching an edited file gives: a vector whose source is no longer the one digested."""
    return dataclasses.replace(vector, source_digest=f"edited {vector.source_digest}") if vector else None


def replace(catalogue: Catalogue, uuid: str, change: Callable[[Vector], Vector | None]) -> Catalogue:
    vectors = [edited(change(v)) if v.uuid == uuid else v for v in catalogue.vectors]
    kept = [v for v in vectors if v is not None]
    return dataclasses.replace(catalogue, vectors=tuple(sorted(kept, key=order)))


def order(vector: Vector) -> tuple[str, str]:
    return vector.name.casefold(), vector.uuid  # the catalogue's order


def pages_of(catalogue: Catalogue, uuids: set[str]) -> set[str]:
    return {f"{f}:{vector_page(v)}" for v in catalogue.vectors if v.uuid not in uuids
            for f in ("portable", "mkdocs")}


def test_pages_from_the_memo_are_the_pages_a_fresh_render_gives(sample: Catalogue) -> None:
    memo = MarkingMemo()
    catalogue = sample
    previous, served = remembered(catalogue, memo)
    assert served == set()  # an empty memo serves nothing
    previous, served = remembered(catalogue, memo)
    every = {f"{f}:{p}" for f, pages in previous.items() for p in pages}
    assert served == every  # nothing changed: every page of both flavours, catalogue pages too

    by_links = sorted(catalogue.vectors, key=lambda v: (-len(v.chaining), v.name))
    hub, other = by_links[0], by_links[1]
    unchained = next(v for v in catalogue.vectors if not vectors_near(catalogue, {v.uuid}) - {v.uuid})

    def step(new: Catalogue, touched: set[str], reach: set[str] | None = None) -> None:
        """Render `new` through the memo; vector pages out of reach of the `touched` vectors
        (default: one chaining step) must come from the memo, the touched ones must not."""
        nonlocal catalogue, previous
        near = vectors_near(catalogue, touched) | vectors_near(new, touched) if reach is None else reach
        result, served = remembered(new, memo)
        assert pages_of(new, near) <= served
        assert not {f"{f}:{vector_page(v)}" for v in new.vectors if v.uuid in touched
                    for f in ("portable", "mkdocs")} & served
        unchanged = {f"{f}:{p}" for f, pages in result.items() for p, text in pages.items()
                     if previous[f].get(p) == text}
        # A catalogue page is rendered again only when what it prints changed; a vector page may be
        # when a neighbour changed in a way it does not show (its key takes the whole neighbour).
        assert {p for p in unchanged - served if not p.split(":", 1)[1].startswith("threat-vectors/")} == set()
        catalogue, previous = new, result

    # One description changed: the vector's page, its neighbours (the link's hover text) and the
    # lists that show it; every other page comes from the memo.
    step(replace(catalogue, hub.uuid, lambda v: dataclasses.replace(v, description="Rewritten.\n")), {hub.uuid})

    # A vector renamed: its slug and every link to it change, the chains naming it too.
    def rename(v: Vector) -> Vector:
        chains = tuple(dataclasses.replace(c, target_name="Renamed Vector", target_slug="renamed-vector")
                       if c.target_uuid == other.uuid else c for c in v.chaining)
        if v.uuid == other.uuid:  # its file changed; the others only took its new name
            return edited(dataclasses.replace(v, name="Renamed Vector", slug="renamed-vector", chaining=chains))
        return dataclasses.replace(v, chaining=chains)
    renamed = dataclasses.replace(catalogue, vectors=tuple(sorted((rename(v) for v in catalogue.vectors), key=order)))
    assert vector_page(next(v for v in renamed.vectors if v.uuid == other.uuid)) == "threat-vectors/renamed-vector.md"
    step(renamed, {other.uuid} | {v.uuid for v in catalogue.vectors if any(c.target_uuid == other.uuid
                                                                          for c in v.chaining)})

    # A chaining relation added: the target's inbound list and graph change.
    chain = dataclasses.replace(hub.chaining[0], target_uuid=unchained.uuid, target_name=unchained.name,
                                target_slug=unchained.slug, description="Added.")
    step(replace(catalogue, other.uuid, lambda v: dataclasses.replace(v, chaining=(*v.chaining, chain))),
         {other.uuid, unchained.uuid})

    # A neighbour's terrain changed: shown in the chaining table of the vectors it chains with.
    step(replace(catalogue, unchained.uuid, lambda v: dataclasses.replace(v, terrain="Needs a new terrain.")),
         {unchained.uuid})

    # A vector removed: the chains naming it now lead out of the catalogue.
    step(replace(catalogue, hub.uuid, lambda v: None), {hub.uuid})

    # A technique id changed: the technique pages, the coverage page and the vector's page.
    cited = next(v for v in catalogue.vectors if v.techniques and v.uuid != other.uuid)
    donor = next(r for v in catalogue.vectors for r in v.techniques
                 if r.technique is not None and r.id not in {t.id for t in cited.techniques})
    step(replace(catalogue, cited.uuid, lambda v: dataclasses.replace(v, techniques=(donor, *v.techniques[1:]))),
         {cited.uuid})

    # An actor added whose page name clashes with one already cited, and sorts before it: the
    # cited actor's slug changes, so every vector page citing it changes, chained or not.
    cited_actor = next(a for v in catalogue.vectors for a in v.actors if a.stage == "att&ck")
    clash = Actor("att&ck", f"-{cited_actor.id}", cited_actor.name, (), "A clashing name.", "", "")
    citing = {v.uuid for v in catalogue.vectors if cited_actor in v.actors}
    step(replace(catalogue, unchained.uuid, lambda v: dataclasses.replace(v, actors=(*v.actors, clash))),
         {unchained.uuid} | citing, reach=vectors_near(catalogue, {unchained.uuid}) | citing)
    slugs = build_lookup(catalogue).actor_slugs
    assert slugs[(cited_actor.stage, cited_actor.id)].endswith("-2")

    # A vocabulary value's description changed: every page that shows the vocabulary.
    vocabularies = dict(catalogue.vocabularies)
    severity = vocabularies["severity"]
    vocabularies["severity"] = dataclasses.replace(severity, description="Rated anew.")
    new = dataclasses.replace(catalogue, vocabularies=vocabularies)
    everything = {v.uuid for v in catalogue.vectors}
    step(new, everything, reach=everything)


def test_a_template_edit_renders_again(sample: Catalogue, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    memo = MarkingMemo()
    render_markdown(sample, templates, "portable", memo)
    vector_template = templates / "vector.md.j2"
    vector_template.write_text(vector_template.read_text("utf-8") + "\nEdited.\n", "utf-8")
    memo.mark()
    pages = render_markdown(sample, templates, "portable", memo)
    assert all(text.endswith("Edited.\n") for path, text in pages.items() if path.startswith("threat-vectors/"))
    assert pages == render_markdown(sample, templates, "portable")
    assert setup_digest(templates, "portable") != setup_digest(TEMPLATES, "portable")
    assert setup_digest(TEMPLATES, "portable") != setup_digest(TEMPLATES, "mkdocs")


def test_damaged_or_foreign_entries_are_misses(sample: Catalogue, tmp_path: Path) -> None:
    memo = MarkingMemo()
    render_markdown(sample, TEMPLATES, "portable", memo)
    for i, key in enumerate(memo.entries):
        memo.entries[key] = [None, 3, ("see",), ("see", "no-such-key"), "text, not bytes"][i % 5]
    assert render_markdown(sample, TEMPLATES, "portable", memo) == render_markdown(sample, TEMPLATES, "portable")
    cache = Cache(tmp_path, "0" * 64, kind="render")  # the on-disk store the build uses
    first = render_markdown(sample, TEMPLATES, "mkdocs", cache)
    assert cache.hits == 0 and cache.misses > 0
    assert render_markdown(sample, TEMPLATES, "mkdocs", cache) == first
    assert cache.hits == len(first) + 1  # every page, and the listing digests of the first render


def test_fields_left_out_of_the_vector_digest_are_never_read(sample: Catalogue) -> None:
    sources = "".join(p.read_text("utf-8") for p in sorted((ROOT / "tide" / "render").glob("*.py"))
                      if p.name != "memo.py")
    sources += "".join(p.read_text("utf-8") for p in sorted(TEMPLATES.glob("*.j2")))
    for name in UNREAD_FIELDS:
        assert not re.search(rf"\.{name}\b|['\"]{name}['\"]", sources), name  # no attribute, no getattr
    # Without a source digest, vectors are digested field by field: the unread ones must not count.
    plain = dataclasses.replace(sample, vectors=tuple(dataclasses.replace(v, source_digest="")
                                                      for v in sample.vectors))
    emptied = dataclasses.replace(plain, vectors=tuple(dataclasses.replace(v, data={"x": 1}, source_text="x")
                                                       for v in plain.vectors))
    assert fresh(emptied) == fresh(sample)
    keys = PageKeys(build_lookup(plain), "setup"), PageKeys(build_lookup(emptied), "setup")
    assert [keys[0].vector(v) for v in plain.vectors] == [keys[1].vector(v) for v in emptied.vectors]


def test_a_vector_is_digested_by_its_source_slug_and_chain_targets(sample: Catalogue) -> None:
    keys = PageKeys(build_lookup(sample), "setup")
    chained = next(v for v in sample.vectors if v.chaining)
    assert chained.source_digest  # enrichment sets it
    before = keys.vector(chained)
    for change in ({"source_digest": "another source"}, {"slug": "another-slug"},
                   {"chaining": (dataclasses.replace(chained.chaining[0], target_name="Renamed"),
                                 *chained.chaining[1:])},
                   {"chaining": (dataclasses.replace(chained.chaining[0], target_slug="renamed"),
                                 *chained.chaining[1:])}):
        assert PageKeys(build_lookup(sample), "setup").vector(dataclasses.replace(chained, **change)) != before
    # A second enrichment of the same files gives the same digests.
    again = {v.uuid: v.source_digest for v in compile_paths(need(CORPUS)).vectors}
    assert all(again[v.uuid] == v.source_digest for v in sample.vectors)


def test_digests_are_canonical() -> None:
    text = "shared"
    shared = [text, text]
    assert digest(shared) == digest(["shared", "".join(["sha", "red"])])  # sharing does not show
    assert digest(("a",)) != digest(["a"])
    assert digest({"a": 1, "b": 2}) != digest({"b": 2, "a": 1})  # order is printed order


def test_catalogue_pages_never_print_the_fields_left_out_of_listings(sample: Catalogue) -> None:
    # Catalogue pages are keyed by the listing digests of the vectors they list: changing every
    # field those leave out, in every vector, must leave every catalogue page as it was.
    assert {f.name for f in dataclasses.fields(Vector)} >= UNLISTED_FIELDS
    changed = {"description": "Changed.\n", "terrain": "Changed terrain.", "references": (), "version": 99,
               "created": "2001-01-01", "modified": "2001-01-02", "author": "Someone Else", "contributors": ("X Y",),
               "organisation": Organisation("11111111-1111-4111-8111-111111111111", "Another organisation"),
               "schema": "tvm::2.0", "cves": ("CVE-2001-0001",),
               "misp_events": ("11111111-1111-4111-8111-111111111112",)}
    assert set(changed) | {"hover"} == UNLISTED_FIELDS  # the hover title is made from the description
    other = dataclasses.replace(sample, vectors=tuple(dataclasses.replace(v, **changed) for v in sample.vectors))
    assert all(v.hover == "Changed." for v in other.vectors)
    for flavour in ("portable", "mkdocs"):
        before, after = render_markdown(sample, TEMPLATES, flavour), render_markdown(other, TEMPLATES, flavour)
        catalogue_pages = [p for p in before if not p.startswith("threat-vectors/")]
        assert len(catalogue_pages) > 50
        assert [before[p] for p in catalogue_pages] == [after[p] for p in catalogue_pages]
        assert any(before[p] != after[p] for p in before if p.startswith("threat-vectors/"))  # the edit shows

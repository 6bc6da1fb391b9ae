"""Pages remembered between builds: the key under which a finished page is stored.

A page's text is a function of its view (the dict the template prints), its front matter, its
template and the code that renders it. A key must change whenever any of them may change, and is
otherwise stable between builds and processes:

- Every key starts with the render setup: the flavour, the Python and Jinja2 versions, every file
  of the templates directory (templates may include each other) and the source of the render code
  (this package, `tide.model`, `tide.slug`).
- Catalogue pages (indexes, techniques, actors, vocabulary values, vocabularies) are keyed by
  their inputs: the item the page is about, the vectors it lists (each by its listing digest:
  every field but the long texts and the metadata, which these pages never print; a test holds
  them to that), the vocabularies, the ATT&CK release and every page slug of the catalogue.
  Index pages list every vector. On a miss the view is computed and a second key, of the view
  itself, finds a page that came out the same from different inputs.
- Vector pages, nearly all of the pages, are keyed by their inputs, so that an unchanged page costs
  neither its view nor its rendering. A vector page reads, besides the vocabularies: the vector;
  the vectors its chaining names and the vectors chaining to it (one hop, both ways: their name,
  slug, description, terrain, techniques and their own chaining, which the graph draws); and the
  slugs of the actors, vocabulary values and techniques it links to, which depend on the whole
  catalogue (slug clashes). `vector_page_key` takes exactly these, looked up the way
  `Views.vector_view` looks them up. A vector is digested by its source (path and text), slug and
  chain targets, which determine it; one made by hand, without a source digest, field by field
  (all fields but `data`, `source_text` and `source_digest`, which no renderer reads: a test holds
  the render code to that).

The store is any object with `get(key) -> value | None` and `put(key, value)`; a value that is not
a page text is a miss.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import pickle
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2

from tide.cache import Memo
from tide.model import Actor, Technique, TechniqueRef, Vector, VocabEntry
from tide.render.lookup import Lookup, actor_key, vector_entries

# Vector fields no page prints: the parsed YAML and its text (everything shown is in other fields).
UNREAD_FIELDS = frozenset({"data", "source_text", "source_digest"})
_READ_FIELDS = tuple(f.name for f in dataclasses.fields(Vector) if f.name not in UNREAD_FIELDS)
# Vector fields catalogue pages never print, only vector pages: the long texts (and the hover title
# made from the description, which only links on vector pages show) and the metadata (a test holds
# catalogue pages to that). Editing them leaves every catalogue page as it is.
UNLISTED_FIELDS = frozenset({"description", "hover", "terrain", "references", "version", "created", "modified",
                             "author", "contributors", "organisation", "schema", "cves", "misp_events"})
LISTED_FIELDS = tuple(name for name in _READ_FIELDS if name not in UNLISTED_FIELDS)
_CODE = [*sorted(Path(__file__).parent.glob("*.py")),
         *(Path(__file__).parents[1] / name for name in ("model.py", "slug.py"))]


def setup_digest(templates: Path, flavour: str) -> str:
    """What every page of a render depends on besides the catalogue."""
    digest = hashlib.sha256(f"{flavour}\0{sys.version}\0{jinja2.__version__}\0".encode())
    files = sorted(p for p in templates.rglob("*") if p.is_file()) if templates.is_dir() else []
    for path in files:
        digest.update(b"template\0" + path.relative_to(templates).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    for path in _CODE:
        digest.update(b"code\0" + path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


class MemoRun:
    """A memo as one render uses it: pages looked up by the keys of `PageKeys`."""

    def __init__(self, memo: Memo, look: Lookup, setup: str) -> None:
        self.memo = memo
        # Listing digests of earlier renders, by vector digest: digesting every listed field of
        # 10,000 vectors costs a second and a half; most of them did not change.
        self._known_key = digest(("listings", setup))
        known = memo.get(self._known_key)
        self.keys = PageKeys(look, setup, known if isinstance(known, dict) else {})

    def close(self) -> None:
        """Remember the listing digests of this render (those of vectors gone are dropped)."""
        known = self.keys.known_listings  # empty when this render listed nothing (vector pages only)
        if known and known != self.keys.earlier_listings:
            self.memo.put(self._known_key, known)

    def view_page(self, kind: str, template: str, front: str, view: dict[str, Any]) -> tuple[str | None,
                                                                                          bytes | None]:
        key = self.keys.view_page_key(kind, template, front, view)
        return key, self.page(key)

    def put(self, key: str | None, page: bytes) -> None:
        if key:
            self.memo.put(key, page)

    def page(self, key: Any) -> bytes | None:
        """A page kept under `key`, as its UTF-8 bytes."""
        value = self.memo.get(key) if isinstance(key, str) and key else None
        return value if isinstance(value, bytes) else None  # anything else is a foreign or damaged entry


class PageKeys:
    """The memo keys of one render's pages. Digests of vectors and of the objects they share
    (techniques, actors, vocabulary values) are computed once per render, by identity: the
    catalogue keeps every object alive until the render ends."""

    def __init__(self, look: Lookup, setup: str, earlier_listings: dict[str, str] | None = None) -> None:
        self.look = look
        self.setup = setup
        self.earlier_listings = earlier_listings or {}
        self.known_listings: dict[str, str] = {}  # vector digest -> listing digest, this render's
        self._digests: dict[int, str] = {}
        self._technique_slugs: dict[int, tuple[str | None, ...]] = {}
        self._listings: dict[int, str] = {}
        self._all: str | None = None
        self._slugs: str | None = None
        catalogue = look.catalogue
        self.vocabularies = digest(sorted(catalogue.vocabularies.items()))

    def catalogue_page_key(self, kind: str, template: str, path: str, front: str, item: Any,
                           listed: Sequence[Vector] | None) -> str:
        """The key of a catalogue page about `item` listing `listed` (None: every vector)."""
        if listed is None:
            if self._all is None:
                self._all = self._listed(self.look.catalogue.vectors)
            vectors = self._all
        else:
            vectors = self._listed(listed)
        return digest(("catalogue", self.setup, kind, template, path, front, self.vocabularies,
                       self.look.catalogue.attack, self.slugs(), self._part(item), vectors))

    def _listed(self, vectors: Sequence[Vector]) -> str:
        # Pages list up to every vector, and the vectors are listed on some forty pages each.
        known = self._listings
        return hashlib.sha256("".join([known.get(id(v)) or self.listing(v) for v in vectors]).encode()).hexdigest()

    def listing(self, vector: Vector) -> str:
        """The digest of what a catalogue page may print of a vector it lists."""
        found = self._listings.get(id(vector))
        if found is None:
            # A vector with a source digest is determined by its own digest (see `vector`).
            own = self.vector(vector) if vector.source_digest else ""
            found = self.earlier_listings.get(own) if own else None
            if not isinstance(found, str):
                found = digest([self._part(getattr(vector, n)) for n in LISTED_FIELDS])
            self._listings[id(vector)] = found
            if own:
                self.known_listings[own] = found
        return found

    def slugs(self) -> str:
        """Every page slug of the catalogue but the vectors' (those are in their listing digests)."""
        if self._slugs is None:
            look = self.look
            self._slugs = digest((sorted(look.technique_slugs.items()), sorted(look.actor_slugs.items()),
                                  sorted(look.entry_slugs.items())))
        return self._slugs

    def view_page_key(self, kind: str, template: str, front: str, view: dict[str, Any]) -> str | None:
        """The key of a page from what it prints, or None if the view cannot be digested."""
        try:
            return digest(("view", self.setup, kind, template, front, view))
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
            return None

    def vector_page_key(self, kind: str, template: str, vector: Vector) -> str:
        look = self.look
        targets = [self.vector(look.vectors.get(c.target_uuid)) for c in vector.chaining]
        # In the order the page lists them (`Views.chaining_rows`), not in catalogue order.
        inbound = [(self.vector(source), self.vector(look.vectors.get(source.uuid))) for source, _ in
                   sorted(look.inbound.get(vector.uuid, []), key=lambda vc: (vc[0].name, vc[0].uuid, vc[1].relation))]
        neighbours = [v for v in (*(look.vectors.get(c.target_uuid) for c in vector.chaining),
                                  *(source for source, _ in look.inbound.get(vector.uuid, [])))
                      if v is not None]
        slugs = (tuple(look.actor_slugs.get(actor_key(a)) for a in vector.actors),
                 tuple(look.entry_slug(e) for e in vector_entries(vector)),
                 tuple(self.technique_slugs(v) for v in (vector, *neighbours)))
        return digest(("vector", self.setup, kind, template, self.vocabularies, self.vector(vector),
                       targets, inbound, slugs))

    def technique_slugs(self, vector: Vector) -> tuple[str | None, ...]:
        found = self._technique_slugs.get(id(vector))  # asked again for each of its neighbours
        if found is None:
            ids = (t.id if t else ref.id for ref in vector.techniques for t in (ref.technique, ref.replacement, None))
            found = self._technique_slugs[id(vector)] = tuple(self.look.technique_slugs.get(i) for i in ids)
        return found

    def vector(self, vector: Vector | None) -> str:
        """The digest of every field of `vector` a page may print: of its source and of what
        enrichment took from other vectors when the source is known (the cache directory's
        fingerprint covers the code, vocabularies and ATT&CK data), else of the fields."""
        if vector is None:
            return ""
        found = self._digests.get(id(vector))
        if found is None:
            if vector.source_digest:
                values: Any = ("source", vector.source_digest, vector.slug,
                               tuple((c.target_uuid, c.target_name, c.target_slug) for c in vector.chaining))
            else:
                values = [self._part(getattr(vector, name)) for name in _READ_FIELDS]
            found = self._digests[id(vector)] = digest(values)
        return found

    def _part(self, value: Any) -> Any:
        # Techniques, actors and vocabulary values recur across vectors and are long: each is
        # digested once and stands in for itself.
        if isinstance(value, tuple):
            return tuple(self._part(item) for item in value)
        if isinstance(value, TechniqueRef):
            return value.id, self._part(value.technique), self._part(value.replacement)
        if isinstance(value, (Technique, VocabEntry, Actor)):
            found = self._digests.get(id(value))
            if found is None:
                found = self._digests[id(value)] = digest(value)
            return type(value).__name__, found
        return value


def digest(value: Any) -> str:
    """SHA-256 of a canonical serialisation: pickle without its memo, so that equal values give
    equal bytes however their parts happen to be shared (and tuples and lists stay distinct)."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.fast = True
    pickler.dump(value)
    return hashlib.sha256(buffer.getbuffer()).hexdigest()

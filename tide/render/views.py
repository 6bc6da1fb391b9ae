"""View models: everything a template prints, computed here (links, escaping, order, wording).
This module has the shared pieces and the vector page; `catalogue_views` the other pages.

Each `*_view` method returns a plain dict of ready-to-print strings and lists for one page;
templates only place them. Untrusted text goes through `safety` before it gets here; names go
through `md_text`, URLs through `safe_url`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, TypeVar

from tide.model import Actor, Technique, TechniqueRef, Vector, VocabEntry
from tide.plain import link_title
from tide.render.links import md_link, relative
from tide.render.lookup import ENTRY_PAGE_FIELDS, Lookup, actor_key
from tide.render.mermaid import chaining_graph, chaining_nodes
from tide.render.safety import inline_markdown, md_code, md_text, safe_url, sanitize_markdown
from tide.render.tags import Tag, vector_tags

# The classified fields of the "Model data" section, in page order.
MODEL_FIELDS = ("killchain", "domains", "targets", "platforms", "severity", "leverage", "impact", "viability")
ICONS = {"vector": "☣️", "technique": "🗡️", "actor": "🐲", "vocabulary": "📒", "home": "⚜️"}
NONE = "—"

Paths = Callable[[str, str], str]  # (page kind, slug) -> output path
T = TypeVar("T")


def joined(items: Iterable[str], sep: str = ", ") -> str:
    return sep.join(items) or NONE


class Views:
    """Builds the views of one catalogue; `paths` maps a page kind and slug to its output path."""

    def __init__(self, look: Lookup, paths: Paths, mkdocs: bool) -> None:
        self.look = look
        self.paths = paths
        self.mkdocs = mkdocs
        self.vocabularies = look.catalogue.vocabularies
        self._vector_paths: dict[int, str] = {}
        # Pieces that every page of one directory prints alike (a vector's row, a technique's link),
        # computed once per directory: index pages list the same vectors again and again. One table
        # per directory and kind of piece (`_once`), by item (vectors by identity: the catalogue
        # keeps them alive for the whole render, and hashing a Vector would hash all of it).
        self._by_directory: dict[str, dict[str, dict[Any, Any]]] = {}
        self._here = ""  # the page asked for last, and its directory's tables
        self._here_tables: dict[str, dict[Any, Any]] = {}
        self._pieces: dict[tuple[Any, ...], dict[Any, Any]] = {}  # see _towards_vectors
        self._a_vector_page = paths("vector", "x")  # vector pages differ in their file names only

    # -- links -------------------------------------------------------------------------------

    def vector_path(self, vector: Vector) -> str:
        path = self._vector_paths.get(id(vector))
        if path is None:
            path = self._vector_paths[id(vector)] = self.paths("vector", vector.slug)
        return path

    def vector_link(self, here: str, vector: Vector, table: bool = False, hover: bool = True) -> str:
        """A link to a vector's page; `hover` adds the start of its description as the title.
        Catalogue pages list thousands of vectors: there the title would be most of the page."""
        return self.vector_links(here, (vector,), table, hover)[0]

    def vector_links(self, here: str, vectors: Iterable[Vector], table: bool = False,
                     hover: bool = True) -> list[str]:
        """`vector_link` of each vector, for pages that list thousands (the lookups cost more
        than the links, which are made once per directory)."""
        made = self._towards_vectors(here, "vector-link", table, hover)
        return [made.get(id(v)) or self._vector_link(made, here, v, table, hover) for v in vectors]

    def _vector_link(self, made: dict[int, str], here: str, vector: Vector, table: bool, hover: bool) -> str:
        title = vector.hover if hover else ""
        link = made[id(vector)] = md_link(vector.name, relative(here, self.vector_path(vector)), title, table=table)
        return link

    def _towards_vectors(self, here: str, *what: Any) -> dict[Any, Any]:
        """The pieces of one kind (`what`) whose only links go to vector pages, by item. They are
        the same on the pages of every directory that reaches the vector pages by the same path
        (all directories of one depth but theirs), which share one table: the vocabulary,
        platform, domain and target pages list vectors alike, and so do the technique and actor
        pages."""
        key = (relative(here, self._a_vector_page), *what)
        made = self._pieces.get(key)
        if made is None:
            made = self._pieces[key] = {}
        return made

    def _once(self, here: str, what: str, item: Any, make: Callable[[], T]) -> T:
        """`make()`, the piece `what` of `item` for the pages of `here`'s directory, made once.
        A vector page asks some fifty times, always with the same `here` (the same string): its
        directory's tables are found once a page, not once a piece."""
        if here is not self._here:
            self._here = here
            self._here_tables = self._by_directory.setdefault(here.rpartition("/")[0], {})
        made = self._here_tables.get(what)
        if made is None:
            made = self._here_tables[what] = {}
        piece: T | None = made.get(item)
        if piece is None:
            piece = made[item] = make()
        return piece

    def technique_path(self, technique_id: str) -> str | None:
        slug = self.look.technique_slugs.get(technique_id)
        return self.paths("technique", slug) if slug else None

    def technique_id_link(self, here: str, technique_id: str, table: bool = False) -> str:
        return self._once(here, "technique-link", (technique_id, table),
                          lambda: self._technique_id_link(here, technique_id, table))

    def _technique_id_link(self, here: str, technique_id: str, table: bool) -> str:
        path = self.technique_path(technique_id)
        return md_link(technique_id, relative(here, path), table=table) if path else md_text(technique_id)

    def actor_path(self, actor: Actor) -> str:
        return self.paths("actor", self.look.actor_slugs[actor_key(actor)])

    def entry_path(self, entry: VocabEntry) -> str:
        """The entry's own page where it has one, else its vocabulary's page."""
        slug = self.look.entry_slug(entry)
        if entry.vocabulary in ENTRY_PAGE_FIELDS and slug:
            return self.paths(entry.vocabulary, slug)
        return self.paths("vocabulary", self.vocabulary_slug(entry.vocabulary))

    @staticmethod
    def vocabulary_slug(field: str) -> str:
        from tide.slug import slugify
        return slugify(field)

    def external(self, text: str, url: str, title: str = "", table: bool = False) -> str:
        """A link to an outside URL when it is safe, else the text alone."""
        safe = safe_url(url)
        return md_link(text, safe, title, table=table) if safe else md_text(text, table=table)

    # -- small pieces ------------------------------------------------------------------------

    @staticmethod
    def entry_label(entry: VocabEntry) -> str:
        return " ".join(part for part in (entry.icon, entry.name) if part)

    def vocabulary_title(self, field: str) -> str:
        vocabulary = self.vocabularies.get(field)
        return " ".join(p for p in ((vocabulary.icon, vocabulary.title) if vocabulary else ("", field.title())) if p)

    def entry_line(self, here: str, entry: VocabEntry) -> str:
        """`[icon name](link): description ([vectors](page))` for the Model data section."""
        return self._once(here, "entry-line", entry, lambda: self._entry_line(here, entry))

    def _entry_line(self, here: str, entry: VocabEntry) -> str:
        line = self.external(self.entry_label(entry), entry.link)
        if entry.description:
            line += f": {inline_markdown(entry.description)}"
        if entry.vocabulary in ENTRY_PAGE_FIELDS and self.look.entry_slug(entry):
            line += f" ([vectors]({relative(here, self.entry_path(entry))}))"
        return line

    def banner(self, field: str, entry: VocabEntry, label: str, kind: str) -> list[str]:
        """Criticality/TLP line: portable bold text, or an admonition in the MkDocs flavour."""
        vocabulary = self.vocabularies.get(field)
        icon = vocabulary.icon if vocabulary else ""
        heading = " ".join(p for p in (icon, label, entry.icon) if p)
        description = inline_markdown(entry.description)
        if self.mkdocs:
            quoted = heading.replace('"', "'")
            return [f'!!! {kind} "{quoted}"', *([f"    {description}"] if description else [])]
        bold = " ".join(p for p in (icon, f"**{md_text(label)}**", entry.icon) if p)
        return [f"{bold}: {description}" if description else bold]

    def technique_line(self, here: str, ref: TechniqueRef) -> str:
        technique = ref.technique
        if technique is None:
            return f"{md_text(ref.id)} (not in the ATT&CK data of this build)"
        line = f"{self.technique_id_link(here, technique.id)} {self.technique_name_link(technique)}"
        if technique.revoked or technique.deprecated:
            state = "revoked" if technique.revoked else "deprecated"
            line += f" — **{state} in ATT&CK**"
            if ref.replacement is not None:
                line += (f", replaced by {self.technique_id_link(here, ref.replacement.id)} "
                         f"{self.technique_name_link(ref.replacement)}")
        return line

    def technique_name_link(self, technique: Technique, table: bool = False) -> str:
        return self.external(technique.full_name or technique.name, technique.url,
                             link_title(technique.summary), table=table)

    def tag_link(self, here: str, tag: Tag) -> str:
        return self._once(here, "tag-link", tag, lambda: self._tag_link(here, tag))

    def _tag_link(self, here: str, tag: Tag) -> str:
        if tag.kind == "technique":
            path = self.technique_path(tag.key)
        elif tag.kind == "actor":
            key = tuple(tag.key.split("::", 1))
            actor = self.look.actors.get((key[0], key[1])) if len(key) == 2 else None
            path = self.actor_path(actor) if actor else None
        else:
            entry = self.look.entries.get((tag.kind, tag.key))
            path = self.entry_path(entry) if entry else None
        return md_link(tag.name, relative(here, path)) if path else md_text(tag.name)

    def vector_row(self, here: str, vector: Vector) -> list[str]:
        """Name, criticality, severity, kill chain, techniques, platforms: the catalogue columns."""
        row = self._once(here, "vector-row", id(vector), lambda: self._vector_row(here, vector))
        return list(row)  # a copy: each page's view is its own

    def _vector_row(self, here: str, vector: Vector) -> list[str]:
        return [self.vector_link(here, vector, table=True, hover=False),
                md_text(self.entry_label(vector.criticality), table=True),
                md_text(self.entry_label(vector.severity), table=True),
                joined(md_text(e.name, table=True) for e in vector.killchain),
                self.technique_ids(here, vector),
                joined(md_link(e.name, relative(here, self.entry_path(e)), table=True) for e in vector.platforms)]

    def vector_lines(self, here: str, vectors: Iterable[Vector]) -> list[str]:
        """The catalogue columns as one list item each: the name links, the rest is text. The pages
        of a platform, domain or target list thousands of vectors; as a table with links in every
        row they cost the site build twice as much."""
        made = self._towards_vectors(here, "vector-line")
        return [made.get(id(v)) or self._vector_line(made, here, v) for v in vectors]

    def _vector_line(self, made: dict[int, str], here: str, vector: Vector) -> str:
        facts = [self.entry_label(vector.criticality), self.entry_label(vector.severity),
                 ", ".join(e.name for e in vector.killchain) or NONE,
                 ", ".join(r.replacement.id if r.replacement else r.id for r in vector.techniques) or NONE,
                 ", ".join(e.name for e in vector.platforms) or NONE]
        line = made[id(vector)] = f"{self.vector_link(here, vector, hover=False)} — {' · '.join(map(md_text, facts))}"
        return line

    # -- pages -------------------------------------------------------------------------------

    def vector_view(self, here: str, vector: Vector) -> dict[str, Any]:
        meta = [f"🔑 **UUID:** {md_code(vector.uuid)}", f"🏷️ **Version:** {vector.version}",
                f"🗓️ **Created:** {md_text(vector.created)}", f"🗓️ **Modified:** {md_text(vector.modified)}"]
        if vector.organisation is not None and vector.organisation.name:
            meta.append(f"🏢 **Organisation:** {md_text(vector.organisation.name)}")
        if vector.author:
            meta.append(f"👩‍💻 **Author:** {md_text(vector.author)}")
        if vector.contributors:
            meta.append(f"👥 **Contributors:** {', '.join(md_text(c) for c in vector.contributors)}")
        if vector.classification is not None:
            meta.append(f"🔒 **Classification:** {md_text(vector.classification.name)}")
        meta.append(f"🧱 **Schema:** {md_code(vector.schema)}")
        chaining = self.chaining_rows(here, vector)
        nodes = chaining_nodes(vector, self.look)
        return {
            "title": f"{ICONS['vector']} {md_text(vector.name)}",
            "criticality": self.banner("criticality", vector.criticality,
                                       f"Criticality: {vector.criticality.name}", "danger"),
            "tlp": self.banner("tlp", vector.tlp, f"TLP:{vector.tlp.name.upper()}", "info"),
            "techniques": [self.technique_line(here, ref) for ref in vector.techniques],
            "metadata": " · ".join(meta),
            "description": sanitize_markdown(vector.description, heading_floor=3),
            "terrain": quote(sanitize_markdown(vector.terrain, heading_floor=3)),
            "cves": [cve_line(cve) for cve in vector.cves],
            "actors": [self.actor_row(here, actor) for actor in vector.actors],
            "graph": chaining_graph(vector, self.look, nodes),
            "chaining": chaining,
            "related": self.vector_links(here, nodes[1:]),
            "model": [self.model_field(here, vector, name) for name in MODEL_FIELDS],
            "public": [self.reference_line(r.key, r.url) for r in vector.references if r.kind == "public"],
            "internal": [self.reference_line(r.key, r.url) for r in vector.references if r.kind == "internal"],
            "tags": " · ".join(self.tag_link(here, tag) for tag in vector_tags(vector)),
        }

    def model_field(self, here: str, vector: Vector, name: str) -> dict[str, Any]:
        value = getattr(vector, name)
        entries = value if isinstance(value, tuple) else (value,)
        # Vectors share their entries, and the same few sets of them come back page after page.
        key = (name, *map(id, entries))
        field = self._once(here, "model-field", key, lambda: self._model_field(here, name, entries))
        return {**field, "entries": list(field["entries"])}  # a copy: each page's view is its own

    def _model_field(self, here: str, name: str, entries: tuple[VocabEntry, ...]) -> dict[str, Any]:
        heading, description = self._once(here, "model-heading", name, lambda: self._model_heading(here, name))
        return {"heading": heading, "description": description,
                "entries": [self.entry_line(here, e) for e in entries]}

    def _model_heading(self, here: str, name: str) -> tuple[str, str]:
        vocabulary = self.vocabularies.get(name)
        index = md_link("vocabulary", relative(here, self.paths("vocabulary", self.vocabulary_slug(name))))
        description = inline_markdown(vocabulary.description) if vocabulary else ""
        return md_text(self.vocabulary_title(name)), f"{description} ({index})" if description else f"({index})"

    def reference_line(self, key: str, url: str) -> str:
        number = md_text(f"[{key}]")
        safe = safe_url(url)
        return f"{number} {md_link(url, safe)}" if safe else f"{number} {md_text(url)}"

    def actor_source(self, actor: Actor, table: bool = True) -> str:
        if actor.stage == "att&ck":
            return f"🗡️ MITRE ATT&CK group {self.external(actor.id, actor.link, table=table)}"
        return "🌌 MISP threat-actor galaxy"

    def actor_row(self, here: str, actor: Actor) -> list[str]:
        return list(self._once(here, "actor-row", actor, lambda: self._actor_row(here, actor)))

    def _actor_row(self, here: str, actor: Actor) -> list[str]:
        references = [self.external(url, url, table=True) for url in actor.references]
        return [md_link(actor.name, relative(here, self.actor_path(actor)), table=True),
                self.actor_source(actor),
                joined(md_text(a, table=True) for a in actor.aliases),
                inline_markdown(actor.description, table=True) or NONE,
                inline_markdown(actor.sighting, table=True) or "No documented sighting",
                joined(references)]

    def chaining_rows(self, here: str, vector: Vector) -> list[list[str]]:
        """Chains this vector declares, then those other vectors declare towards it."""
        declared = [(vector, chain) for chain in vector.chaining]
        inbound = self.look.inbound.get(vector.uuid, [])
        if len(inbound) > 1:
            inbound = sorted(inbound, key=lambda vc: (vc[0].name, vc[0].uuid, vc[1].relation))
        rows = []
        for source, chain in [*declared, *inbound]:
            target = self.look.vectors.get(chain.target_uuid)
            other = target if source is vector else source  # the neighbour this row is about
            relation = relation_cell(chain.relation_entry.icon, chain.relation)
            rows.append([self.vector_link(here, source, table=True), relation,
                         self.vector_link(here, target, table=True) if target
                         else md_text(chain.target_name, table=True),
                         inline_markdown(chain.description, table=True) or NONE,
                         (inline_markdown(other.terrain, table=True) or NONE) if other else NONE,
                         self.technique_ids(here, other) if other else NONE])
        return rows

    def technique_ids(self, here: str, vector: Vector) -> str:
        """The techniques a vector cites (their replacement where revoked), as links in a table cell."""
        return self._once(here, "technique-ids", id(vector), lambda: self._technique_ids(here, vector))

    def _technique_ids(self, here: str, vector: Vector) -> str:
        shown = [r.replacement or r.technique for r in vector.techniques]
        return joined(self.technique_id_link(here, t.id, table=True) if t else md_text(r.id, table=True)
                      for r, t in zip(vector.techniques, shown, strict=True))


@lru_cache(maxsize=256)
def relation_cell(icon: str, relation: str) -> str:
    """A chaining relation in a table cell: its icon and its name as code (there are a few dozen)."""
    return " ".join(p for p in (icon, md_code(relation, table=True)) if p)


def quote(block: str) -> str:
    """A block quote of already sanitised Markdown, with no trailing spaces on empty lines."""
    return "\n".join(f"> {line}" if line else ">" for line in block.split("\n")) if block else ""


def cve_line(cve: str) -> str:
    """CVE links without looking anything up: the NVD and CVE.org records."""
    import re
    if not re.fullmatch(r"CVE-\d{4}-\d{4,}", cve):
        return md_text(cve)
    return f"[{cve}](https://nvd.nist.gov/vuln/detail/{cve}) ([CVE.org](https://www.cve.org/CVERecord?id={cve}))"

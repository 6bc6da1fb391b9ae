"""View models of the catalogue pages: home, the index tables, techniques, actors, vocabulary
values and vocabularies. The vector page and the shared pieces are in `views`."""

from __future__ import annotations

from typing import Any

from tide.model import Actor, Technique, TechniqueRef, VocabEntry, Vocabulary
from tide.render.links import md_link, relative
from tide.render.lookup import ENTRY_PAGE_FIELDS, actor_key
from tide.render.safety import inline_markdown, md_code, md_text, safe_url, sanitize_markdown
from tide.render.views import ICONS, NONE, Views, joined

# ATT&CK matrices: domain title and tactics in matrix order, as the pinned ATT&CK 19 data has them.
# Tactics a later release adds are listed after these, by id.
MATRICES = {
    "enterprise-attack": ("Enterprise", ("reconnaissance", "resource-development", "initial-access", "execution",
                                         "persistence", "privilege-escalation", "stealth", "defense-impairment",
                                         "defense-evasion", "credential-access", "discovery", "lateral-movement",
                                         "collection", "command-and-control", "exfiltration", "impact")),
    "mobile-attack": ("Mobile", ("initial-access", "execution", "persistence", "privilege-escalation",
                                 "defense-evasion", "credential-access", "discovery", "lateral-movement",
                                 "collection", "command-and-control", "exfiltration", "impact", "network-effects",
                                 "remote-service-effects")),
    "ics-attack": ("ICS", ("initial-access", "execution", "persistence", "privilege-escalation", "evasion",
                           "discovery", "lateral-movement", "collection", "command-and-control",
                           "inhibit-response-function", "impair-process-control", "impact")),
}


def _count(n: int) -> str:
    return f"{n} threat vector{'' if n == 1 else 's'}"


class CatalogueViews(Views):
    """Every page kind: the vector page from `Views`, the catalogue pages here."""

    def technique_view(self, here: str, technique: Technique) -> dict[str, Any]:
        citations = self.look.citations.get(technique.id, [])
        status = ""
        if technique.revoked or technique.deprecated:
            status = f"**{'Revoked' if technique.revoked else 'Deprecated'} in ATT&CK.**"
            replacement = technique.revoked_by and self.look.techniques.get(technique.revoked_by)
            if technique.revoked_by:
                status += f" Replaced by {self.technique_id_link(here, technique.revoked_by)}"
                status += f" {self.technique_name_link(replacement)}." if replacement else "."
        parent = ""
        if technique.parent:
            parent = self.technique_id_link(here, technique.parent)
        cited = sorted(citations, key=lambda c: (c.vector.name, c.vector.uuid, c.cited_as))
        links = self.vector_links(here, (c.vector for c in cited), table=True, hover=False)
        rows = [[link, md_text(self.entry_label(c.vector.criticality), table=True), md_text(c.cited_as, table=True)]
                for link, c in zip(links, cited, strict=True)]
        name = md_text(technique.full_name or technique.name)
        return {"title": f"{ICONS['technique']} {md_text(technique.id)} {name}",
                "status": status,
                "facts": [f"**ATT&CK:** {self.external(technique.id, technique.url)}",
                          f"**Tactics:** {joined(md_text(t.name) for t in technique.tactics)}",
                          f"**Platforms:** {joined(md_text(p) for p in technique.platforms)}",
                          *([f"**Sub-technique of:** {parent}"] if parent else [])],
                "description": sanitize_markdown(technique.description, heading_floor=3),
                "vectors": rows,
                "notice": md_text(self.look.catalogue.attack.notice)}

    def techniques_view(self, here: str) -> dict[str, Any]:
        """Coverage by matrix and tactic of the current techniques; revoked/deprecated ones apart."""
        domains = list(MATRICES)
        groups: dict[tuple[int, str], dict[tuple[int, str, str], list[Technique]]] = {}
        retired = []
        for technique in sorted(self.look.techniques.values(), key=lambda t: t.id):
            if technique.revoked or technique.deprecated:
                retired.append(self.technique_line(here, TechniqueRef(technique.id, technique, self.look.techniques.get(
                    technique.revoked_by))))
                continue
            domain = technique.domain or self.look.catalogue.attack.domain
            title, order = MATRICES.get(domain, (domain, ()))
            matrix = groups.setdefault((domains.index(domain) if domain in domains else len(domains), title), {})
            for tactic in technique.tactics:
                rank = order.index(tactic.shortname) if tactic.shortname in order else len(order)
                matrix.setdefault((rank, tactic.id, tactic.name), []).append(technique)
            if not technique.tactics:
                matrix.setdefault((len(order) + 1, "", "No tactic"), []).append(technique)
        matrices = []
        for (_, title), by_tactic in sorted(groups.items()):
            tactics = []
            for (_, _, name), techniques in sorted(by_tactic.items()):
                rows = [[self.technique_id_link(here, t.id, table=True), md_text(t.full_name or t.name, table=True),
                         str(len({c.vector.uuid for c in self.look.citations.get(t.id, [])}))] for t in techniques]
                vectors = {c.vector.uuid for t in techniques for c in self.look.citations.get(t.id, [])}
                tactics.append({"name": md_text(name), "rows": rows, "vectors": len(vectors)})
            matrices.append({"title": md_text(title), "tactics": tactics})
        attack = self.look.catalogue.attack
        return {"matrices": matrices, "retired": retired, "notice": md_text(attack.notice),
                "attack": md_text(f"{attack.domain} {attack.version}")}

    def actor_view(self, here: str, actor: Actor) -> dict[str, Any]:
        sightings = sorted(self.look.actor_vectors.get(actor_key(actor), []), key=lambda va: (va[0].name, va[0].uuid))
        links = self.vector_links(here, (v for v, _ in sightings), table=True, hover=False)
        rows = [[link, inline_markdown(a.sighting, table=True) or NONE,
                 joined(self.external(u, u, table=True) for u in a.references)]
                for link, (_, a) in zip(links, sightings, strict=True)]
        return {"title": f"{ICONS['actor']} {md_text(actor.name)}",
                "facts": [f"**Source:** {self.actor_source(actor, table=False)}",
                          f"**Aliases:** {joined(md_text(a) for a in actor.aliases)}",
                          *([f"**Link:** {self.external(actor.link, actor.link)}"] if safe_url(actor.link) else [])],
                "description": sanitize_markdown(actor.description, heading_floor=2),
                "vectors": rows}

    def actors_view(self, here: str) -> dict[str, Any]:
        rows = []
        for key, actor in sorted(self.look.actors.items(), key=lambda kv: (kv[1].name.lower(), kv[0])):
            count = len({v.uuid for v, _ in self.look.actor_vectors[key]})
            rows.append([md_link(actor.name, relative(here, self.actor_path(actor)), table=True),
                         self.actor_source(actor), joined(md_text(a, table=True) for a in actor.aliases), str(count)])
        return {"rows": rows}

    def entry_view(self, here: str, entry: VocabEntry) -> dict[str, Any]:
        vectors = self.look.entry_vectors.get((entry.vocabulary, entry.name), [])
        return {"title": " ".join(p for p in (self.vocabulary_icon(entry.vocabulary), md_text(entry.name)) if p),
                "kind": md_text(self.vocabulary_title(entry.vocabulary)),
                "description": inline_markdown(entry.description),
                "link": self.external(entry.link, entry.link) if safe_url(entry.link) else "",
                "vocabulary": md_link(self.vocabulary_title(entry.vocabulary),
                                      relative(here, self.paths("vocabulary", self.vocabulary_slug(entry.vocabulary)))),
                "vectors": self.vector_lines(here, vectors)}

    def vocabulary_icon(self, field: str) -> str:
        vocabulary = self.vocabularies.get(field)
        return vocabulary.icon if vocabulary else ""

    def entries_view(self, here: str, field: str, entries: list[VocabEntry]) -> dict[str, Any]:
        rows = [[md_link(self.entry_label(e), relative(here, self.entry_path(e)), table=True),
                 inline_markdown(e.description, table=True) or NONE,
                 str(len(self.look.entry_vectors.get((e.vocabulary, e.name), [])))] for e in entries]
        return {"title": md_text(self.vocabulary_title(field)), "rows": rows,
                "vocabulary": md_link("the whole vocabulary",
                                      relative(here, self.paths("vocabulary", self.vocabulary_slug(field))))}

    def vocabulary_view(self, here: str, vocabulary: Vocabulary) -> dict[str, Any]:
        entries = []
        for entry in vocabulary.entries:
            vectors = self.look.entry_vectors.get((entry.vocabulary, entry.name), [])
            facts = [md_code(entry.id)] + ([f"stage: {md_text(entry.stage)}"] if entry.stage else [])
            if safe_url(entry.link):
                facts.append(self.external("reference", entry.link))
            if entry.vocabulary in ENTRY_PAGE_FIELDS and self.look.entry_slug(entry) and vectors:
                facts.append(md_link("page", relative(here, self.entry_path(entry))))
            # One paragraph, not a list item per vector: the page names every vector once per
            # value it has, and at 3,000 vectors a list cost the site build ~40% more.
            listed = ", ".join(self.vector_links(here, vectors, hover=False))
            entries.append({"heading": md_text(self.entry_label(entry)), "facts": " · ".join(facts),
                            "description": inline_markdown(entry.description),
                            "vectors": f"**{_count(len(vectors))}:** {listed}" if vectors else ""})
        return {"title": " ".join(p for p in (vocabulary.icon, md_text(vocabulary.title or vocabulary.name)) if p),
                "name": md_text(vocabulary.name), "field": md_code(vocabulary.field),
                "description": inline_markdown(vocabulary.description),
                "reference": self.external(vocabulary.reference, vocabulary.reference)
                if safe_url(vocabulary.reference) else "",
                "entries": entries}

    def vocabularies_view(self, here: str) -> dict[str, Any]:
        rows = [[md_link(self.vocabulary_title(f), relative(here, self.paths("vocabulary", self.vocabulary_slug(f))),
                         table=True), md_code(f, table=True), str(len(v.entries)),
                 inline_markdown(v.description, table=True) or NONE]
                for f, v in sorted(self.vocabularies.items())]
        return {"rows": rows}

    def vectors_view(self, here: str) -> dict[str, Any]:
        return {"rows": [self.vector_row(here, v) for v in self.look.catalogue.vectors]}

    def home_view(self, here: str, counts: list[tuple[str, str, int]]) -> dict[str, Any]:
        """`counts`: (label, page path, number) for each index page."""
        attack = self.look.catalogue.attack
        return {"rows": [[md_link(label, relative(here, path), table=True), str(number)]
                         for label, path, number in counts],
                "attack": md_text(f"{attack.domain} {attack.version}".strip()),
                "notice": md_text(attack.notice)}

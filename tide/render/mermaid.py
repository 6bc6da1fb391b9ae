"""The threat-chaining diagram of one vector, as a Mermaid flowchart.

Reading: a `chaining` entry on vector V naming vector T has a direction in the relations
vocabulary. `from` relations have V as subject (V preceeds T: V --> T), `to` relations have T as
subject (V succeeds T means T preceeds V: T --> V), `bidirectional` ones draw V <--> T. Every
arrow is then labelled with one verb per stage that reads along the arrow: "precedes" (earlier to
later), "implements" (the more specific vector to the more general one, as the vocabulary's
descriptions define it), "enables" (the enabler to the enabled one).

Bounds: the nodes are V, the vectors V chains to and the vectors that chain to V (depth one, both
ways); the edges are every chaining declared between those nodes, so a relation declared on both
sides is drawn once. Actors, platforms and CVEs are not part of the graph. Node ids are `n0` (V)
and `n1`... in order of name then uuid; edges are sorted; labels are escaped for Mermaid.
"""

from __future__ import annotations

from functools import lru_cache

from tide.model import Chain, Vector
from tide.render.lookup import Lookup

STAGE_READING = {"sequence": "precedes", "atomicity": "implements", "support": "enables"}


def chaining_nodes(vector: Vector, look: Lookup) -> list[Vector]:
    """V first, then its chained neighbours (both ways) that the catalogue holds, sorted."""
    neighbours = {c.target_uuid for c in vector.chaining} | {v.uuid for v, _ in look.inbound.get(vector.uuid, [])}
    neighbours.discard(vector.uuid)
    known = [look.vectors[u] for u in neighbours if u in look.vectors]
    return [vector, *sorted(known, key=lambda v: (v.name, v.uuid))]


def edge(source: str, chain: Chain) -> tuple[str, str, str, str]:
    """(from uuid, to uuid, arrow, label) of one chaining entry declared on `source`."""
    if chain.direction == "bidirectional":
        first, second = sorted((source, chain.target_uuid))
        return first, second, "<-->", chain.verb
    label = STAGE_READING.get(chain.stage, chain.relation)
    if chain.direction == "to":
        return chain.target_uuid, source, "-->", label
    return source, chain.target_uuid, "-->", label


def chaining_graph(vector: Vector, look: Lookup, nodes: list[Vector] | None = None) -> str:
    """The flowchart source (without the code fence), or "" when V has no chaining at all.
    `nodes` are `chaining_nodes(vector, look)`, when the caller has them already."""
    nodes = nodes or chaining_nodes(vector, look)
    if len(nodes) == 1:
        return ""
    ids = {v.uuid: f"n{i}" for i, v in enumerate(nodes)}
    edges = {edge(v.uuid, c) for v in nodes for c in v.chaining if c.target_uuid in ids and v.uuid in ids}
    lines = ["flowchart LR"]
    lines += [f'    {ids[v.uuid]}["{label(v.name)}"]' for v in nodes]
    ordered = sorted(edges, key=lambda e: (int(ids[e[0]][1:]), int(ids[e[1]][1:]), e[2], e[3]))
    lines += [f"    {ids[a]} {arrow}|{label(text)}| {ids[b]}" for a, b, arrow, text in ordered]
    lines += ["    classDef current stroke-width:3px", "    class n0 current"]
    return "\n".join(lines)


@lru_cache(maxsize=65536)  # a vector's name is a label in the graph of each of its neighbours
def label(text: str) -> str:
    """Text for a quoted Mermaid label: entity codes for everything with a meaning there."""
    text = " ".join(text.split())
    for char, code in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("|", "#124;"),
                       ("`", "#96;"), ("[", "#91;"), ("]", "#93;"), ("{", "#123;"), ("}", "#125;")):
        text = text.replace(char, code)
    return text

"""The tags of a vector: its classifying vocabulary values, techniques and actors.

Criticality, TLP, severity and the other ratings are shown on the page itself; as tags they would
only collide with each other ("Low", "Moderate incident"), so tags are the facets a reader browses
by: kill-chain phase, domain, target, platform, ATT&CK technique and actor.
"""

from __future__ import annotations

from typing import NamedTuple

from tide.model import Vector


class Tag(NamedTuple):
    """A named tuple, not a dataclass: tags are hashed and compared ~50 times a vector page (made
    distinct, then looked up among the links made), and a tuple does both in C."""

    name: str  # what a tag index shows
    kind: str  # "killchain", "domains", "targets", "platforms", "technique", "actor"
    key: str  # vocabulary entry name, technique id or actor stage::id, to find its page


def vector_tags(vector: Vector) -> tuple[Tag, ...]:
    tags: list[Tag] = []
    for kind, entries in (("killchain", vector.killchain), ("domains", vector.domains),
                          ("targets", vector.targets), ("platforms", vector.platforms)):
        tags += [Tag(e.name, kind, e.name) for e in entries]
    for ref in vector.techniques:
        shown = ref.replacement or ref.technique
        tags.append(Tag(shown.id if shown else ref.id, "technique", shown.id if shown else ref.id))
    tags += [Tag(a.name, "actor", f"{a.stage}::{a.id}") for a in vector.actors]
    return tuple(dict.fromkeys(tags))

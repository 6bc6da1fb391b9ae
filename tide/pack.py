"""Vectors as bytes, for the per-file cache and for worker processes.

A vector shares its vocabulary entries, ATT&CK techniques and actor descriptions with every other
vector. Pickled by value, each would carry copies of them (a technique's description is longer
than most vectors) and come back as distinct objects; here they are written as references and
resolved against this process's vocabularies and ATT&CK data on the way back. An entry is only
ever read under the same fingerprint (same vocabularies, same ATT&CK data), so every reference
resolves; one that does not is an error, which the cache treats as a miss.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

from tide.model import Actor, Vector
from tide.validate import TechniqueLookup
from tide.vocabularies import load_actors, load_vocabularies


class PackError(Exception):
    """Packed bytes that do not resolve against this process's data."""


class _Shared:
    """The objects vectors share, by reference: a reference is a key of `objects`."""

    def __init__(self, attack: TechniqueLookup) -> None:
        self.attack = attack
        objects: dict[Any, Any] = {}
        for field, vocabulary in load_vocabularies().items():
            objects.update((("v", field, i), entry) for i, entry in enumerate(vocabulary.entries))
        techniques = getattr(attack, "techniques", {})  # AttackData; a bare lookup shares none
        objects.update((("t", tid), technique) for tid, technique in techniques.items())
        objects.update((("a", key), actor) for key, actor in load_actors().items())
        self.objects = objects
        self.references = {id(obj): key for key, obj in objects.items()}


_last: list[_Shared] = []


def _shared(attack: TechniqueLookup) -> _Shared:
    # One table per ATT&CK data object: a build uses one, so one slot is enough.
    if not _last or _last[0].attack is not attack:
        _last[:] = [_Shared(attack)]
    return _last[0]


_CITED: dict[tuple[int, str, tuple[str, ...]], Actor] = {}


def _cited_actor(base: Actor, sighting: str, references: tuple[str, ...]) -> Actor:
    # Most vectors cite an actor without a sighting of their own: one object serves them all.
    key = id(base), sighting, references
    actor = _CITED.get(key)
    if actor is None:
        actor = _CITED[key] = base.cited(sighting, references)
    return actor


def _shared_object(key: Any) -> Any:
    """What a reference written by `_Pickler` stands for, in this process's data."""
    return _last[0].objects[key]


class _Pickler(pickle.Pickler):
    def __init__(self, buffer: io.BytesIO, shared: _Shared) -> None:
        super().__init__(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        self.shared = shared

    def reducer_override(self, obj: Any) -> Any:
        # Only objects of tide's own types come here; strings, numbers and containers are
        # written at C speed (a persistent_id would be a Python call for each of them).
        key = self.shared.references.get(id(obj))
        if key is not None:
            return _shared_object, (key,)
        if type(obj) is Actor:  # as a vector cites it: the shared actor plus its own sighting
            base = self.shared.objects.get(("a", f"{obj.stage}::{obj.id}"))
            if base is not None and _cited_actor(base, obj.sighting, obj.references) == obj:
                return _cited_actor, (base, obj.sighting, obj.references)
        return NotImplemented


def pack(vector: Vector, attack: TechniqueLookup) -> bytes:
    return pack_all(vector, attack)


def pack_all(objects: Any, attack: TechniqueLookup) -> bytes:
    """Vectors, in any containers, as one blob: what a worker sends back for many files. Each
    shared object is written once per blob, not once per vector: a chunk of 150 vectors packs and
    unpacks in two thirds of the time it takes each vector on its own."""
    buffer = io.BytesIO()
    _Pickler(buffer, _shared(attack)).dump(objects)
    return buffer.getvalue()


def unpack_all(data: bytes, attack: TechniqueLookup) -> Any:
    """What `pack_all` wrote, in this process: bytes from a process forked from this one, which
    resolve (anything else is a bug, raised as it is)."""
    _shared(attack)  # the table `_shared_object` resolves references in
    return pickle.loads(data)


def unpack(data: bytes, attack: TechniqueLookup) -> Vector:
    """The vector `pack` wrote. Raises PackError if the bytes are not one, or do not resolve."""
    try:
        vector = unpack_all(data, attack)
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError, KeyError,
            TypeError, ValueError) as exc:
        raise PackError(str(exc) or type(exc).__name__) from exc
    if not isinstance(vector, Vector):
        raise PackError("not a vector")
    return vector

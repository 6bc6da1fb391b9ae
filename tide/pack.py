"""Vectors as bytes, for the per-file cache and for worker processes.

A vector shares its vocabulary entries, ATT&CK techniques and actor descriptions with every other
vector. Pickled by value, each would carry copies of them (a technique's description is longer
than most vectors) and come back as distinct objects; here they are written as references and
resolved against this process's vocabularies and ATT&CK data on the way back. An entry is only
ever read under the same fingerprint (same vocabularies, same ATT&CK data), so every reference
resolves; one that does not is an error, which the cache treats as a miss.
"""

from __future__ import annotations

import dataclasses
import io
import pickle
from functools import cache
from typing import Any

from tide.model import Actor, Technique, Vector, VocabEntry
from tide.validate import TechniqueLookup
from tide.vocabularies import load_actors, load_vocabularies


class PackError(Exception):
    """Packed bytes that do not resolve against this process's data."""


@cache
def _entry_ids() -> dict[int, tuple[str, int]]:
    return {id(entry): (field, index) for field, vocabulary in load_vocabularies().items()
            for index, entry in enumerate(vocabulary.entries)}


class _Pickler(pickle.Pickler):
    def __init__(self, buffer: io.BytesIO, attack: TechniqueLookup) -> None:
        super().__init__(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        self.attack = attack
        self.entries = _entry_ids()

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, VocabEntry):
            return ("v", *self.entries[id(obj)]) if id(obj) in self.entries else None
        if isinstance(obj, Technique):
            return ("t", obj.id) if self.attack.get(obj.id) is obj else None
        if isinstance(obj, Actor):
            base = load_actors().get(f"{obj.stage}::{obj.id}")
            if base is not None and dataclasses.replace(base, sighting=obj.sighting,
                                                        references=obj.references) == obj:
                return "a", obj.stage, obj.id, obj.sighting, obj.references
        return None


class _Unpickler(pickle.Unpickler):
    def __init__(self, data: bytes, attack: TechniqueLookup) -> None:
        super().__init__(io.BytesIO(data))
        self.attack = attack

    def persistent_load(self, pid: Any) -> Any:
        kind = pid[0]
        if kind == "v":
            return load_vocabularies()[pid[1]].entries[pid[2]]
        if kind == "t":
            technique = self.attack.get(pid[1])
            if technique is None:
                raise PackError(f"unknown technique {pid[1]}")
            return technique
        if kind == "a":
            return dataclasses.replace(load_actors()[f"{pid[1]}::{pid[2]}"], sighting=pid[3], references=pid[4])
        raise PackError(f"unknown reference {pid!r}")


def pack(vector: Vector, attack: TechniqueLookup) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, attack).dump(vector)
    return buffer.getvalue()


def unpack(data: bytes, attack: TechniqueLookup) -> Vector:
    """The vector `pack` wrote. Raises PackError if the bytes are not one, or do not resolve."""
    try:
        vector = _Unpickler(data, attack).load()
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError, KeyError,
            TypeError, ValueError) as exc:
        raise PackError(str(exc)) from exc
    if not isinstance(vector, Vector):
        raise PackError("not a vector")
    return vector

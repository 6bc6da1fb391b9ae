"""Validate stage: schema and vocabularies per document, then the checks across documents.

The JSON Schema files in tide/schemas are the single definition of shape; the custom keyword
`x-tide-vocabulary` names the vocabulary a value must come from. Python checks only what a
schema cannot say: real dates, ATT&CK ids that exist, uuids unique across files, chaining
targets that exist. Every fault of every file is reported in one run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, Protocol

from tide.diagnostics import Diagnostic, error, warning
from tide.load import Document, PathKey
from tide.model import Technique
from tide.slug import slugify
from tide.vocabularies import load_actors, load_vocabularies, relation_directions, suggest

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

_TECHNIQUE_ID = re.compile(r"^T[0-9]{4}(\.[0-9]{3})?$")
SCHEMAS = {"tvm::2.0": "tvm-2.0.json", "tvm::2.1": "tvm-2.1.json"}
_CODES = {"required": "missing-key", "additionalProperties": "unknown-key", "type": "wrong-type",
          "pattern": "bad-format", "x-tide-vocabulary": "unknown-value", "uniqueItems": "duplicate-item",
          "minItems": "empty-list", "minLength": "empty-value", "maxLength": "too-long",
          "minimum": "out-of-range", "patternProperties": "unknown-key"}
_JSON_TYPES = {"string": "a text", "array": "a list", "object": "a mapping", "integer": "a whole number",
               "number": "a number", "boolean": "true or false", "null": "empty"}


class TechniqueLookup(Protocol):
    """What validation needs of the ATT&CK data."""

    def get(self, technique_id: str) -> Technique | None: ...

    def replacement(self, technique_id: str) -> Technique | None: ...


def supported_schemas() -> str:
    return ", ".join(sorted(SCHEMAS))


@dataclass(frozen=True)
class Links:
    """What the checks across files need of one document, so that the document can be let go."""

    path: str
    uuid: str | None
    uuid_at: tuple[int, int]
    chains: tuple[tuple[str, tuple[int, int]], ...]  # (target uuid, position of `vector:`)


def links_of(doc: Document) -> Links:
    uuid = _get(doc.data, ("metadata", "uuid"))
    chaining = _get(doc.data, ("threat", "chaining"))
    chains = tuple((link["vector"], doc.position(("threat", "chaining", i, "vector")))
                   for i, link in enumerate(chaining if isinstance(chaining, list) else [])
                   if isinstance(link, dict) and isinstance(link.get("vector"), str))
    return Links(doc.path, uuid if isinstance(uuid, str) else None, doc.position(("metadata", "uuid")), chains)


def validate_document(doc: Document, attack: TechniqueLookup | None = None) -> list[Diagnostic]:
    data = doc.data
    if not isinstance(data, dict):
        return [_at(doc, (), "wrong-type", "a threat vector must be a mapping of keys to values")]
    metadata = data.get("metadata")
    schema_id = metadata.get("schema") if isinstance(metadata, dict) else None
    if schema_id not in SCHEMAS:
        where: PathKey = ("metadata", "schema") if isinstance(metadata, dict) and "schema" in metadata else (
            ("metadata",) if isinstance(metadata, dict) else ())
        what = f"unknown schema '{schema_id}'" if schema_id is not None else "metadata.schema is missing"
        return [_at(doc, where, "unknown-schema", f"{what}; supported: {supported_schemas()}")]
    found = [] if _fast_check(schema_id, data) else [
        _diagnostic(doc, e) for e in _validator(schema_id).iter_errors(data)]
    found.extend(_check_dates(doc))
    found.extend(_check_name(doc))
    if attack is not None:
        found.extend(_check_techniques(doc, attack))
    return found


def check_across(links: Iterable[Links]) -> list[Diagnostic]:
    """Unique uuids, and chaining targets that exist: one pass over an index built on the way."""
    by_uuid: dict[str, list[Links]] = defaultdict(list)
    links = list(links)
    for item in links:
        if item.uuid is not None:
            by_uuid[item.uuid].append(item)
    found: list[Diagnostic] = []
    for uuid, owners in by_uuid.items():
        first = owners[0]
        for item in owners[1:]:
            found.append(error(item.path, *item.uuid_at, "duplicate-uuid",
                               f"uuid {uuid} is already used by {first.path}:{first.uuid_at[0]}"))
    for item in links:
        for target, (line, col) in item.chains:
            if target == item.uuid:
                found.append(error(item.path, line, col, "chaining-self", "a threat vector cannot chain to itself"))
            elif target not in by_uuid:
                found.append(error(item.path, line, col, "chaining-target",
                                   f"chaining target {target} is not a threat vector in this set"))
    return found


# --- schema ---------------------------------------------------------------------------------

def _vocabulary_keyword(validator: Any, field: str, instance: Any, schema: Mapping[str, Any]) -> Iterator[
        ValidationError]:
    from jsonschema.exceptions import ValidationError

    if not isinstance(instance, str):
        return
    choices = _choices(field)
    if instance not in choices:
        if field == "actors":
            form = "" if "::" in instance else " (write 'att&ck::<group id>' or 'misp::<galaxy cluster uuid>')"
            yield ValidationError(f"unknown threat actor '{instance}'{form}")
        else:
            vocab = "chaining relation" if field == "chaining" else f"{field} value"
            hint = suggest(instance, sorted(choices))
            shown = ", ".join(sorted(choices)) if len(choices) <= 20 else "see the vocabulary"
            yield ValidationError(f"unknown {vocab} '{instance}'{hint or f' (allowed: {shown})'}")


@cache
def _choices(field: str) -> frozenset[str]:
    if field == "actors":
        return frozenset(load_actors())
    if field == "chaining":
        return frozenset(relation_directions())
    return frozenset(entry.name for entry in load_vocabularies()[field].entries)


@cache
def _schema_bytes(schema_id: str) -> bytes:
    return (Path(__file__).parent / "schemas" / SCHEMAS[schema_id]).read_bytes()


@cache
def _schema(schema_id: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(_schema_bytes(schema_id))
    return loaded


@cache
def _validator(schema_id: str) -> Any:
    """The complete validator: every error, with its path. Used only when the fast check fails."""
    import jsonschema  # 80 ms to import: kept off the path of valid input

    cls = jsonschema.validators.extend(jsonschema.Draft7Validator, {"x-tide-vocabulary": _vocabulary_keyword})
    return cls(_schema(schema_id))


@cache
def _fast_validator(schema_id: str) -> tuple[Callable[[Any], Any], type[Exception]]:
    """The same schema compiled to Python (fastjsonschema), and what it raises on invalid data:
    about 4x faster than jsonschema on valid input, which is nearly all input. The code ships
    generated in tide/schemas/compiled and needs nothing but the standard library, because
    generating and compiling it costs 20-40 ms at start-up, and importing fastjsonschema ~8 ms;
    while that copy is missing or stale, it is compiled here, so an edited schema is never
    checked by old code."""
    definition, formats = _fast_schema(schema_id)
    shipped = _shipped(schema_id)
    if shipped is not None:
        from tide.schemas.compiled import Invalid

        return partial(shipped, custom_formats=formats), Invalid
    import fastjsonschema

    return fastjsonschema.compile(definition, formats=formats), fastjsonschema.JsonSchemaException


@cache
def _fast_schema(schema_id: str) -> tuple[dict[str, Any], dict[str, Callable[[str], bool]]]:
    """The schema as fastjsonschema takes it, and its custom formats: each `x-tide-vocabulary`
    becomes the format `vocabulary-<field>`. The formats come from the schema alone, so that the
    generated code depends on nothing else."""
    fields: set[str] = set()

    def as_formats(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: as_formats(v) for k, v in node.items() if k != "$id"}
            if "x-tide-vocabulary" in node:
                fields.add(node["x-tide-vocabulary"])
                out["format"] = f"vocabulary-{node['x-tide-vocabulary']}"
            return out
        return [as_formats(v) for v in node] if isinstance(node, list) else node

    definition = as_formats(_schema(schema_id))
    return definition, {f"vocabulary-{field}": partial(_in_vocabulary, field) for field in sorted(fields)}


def _in_vocabulary(field: str, value: str) -> bool:
    # Looked up on first use: the 1,000-entry actor list is only read when an object names actors.
    return value in _choices(field)


def compiled_name(schema_id: str) -> str:
    """The module of tide.schemas.compiled that holds the generated code of a schema."""
    return PurePath(SCHEMAS[schema_id]).stem.replace("-", "_").replace(".", "_")


def compiled_source(schema_id: str) -> str:
    """The module that `python -m tide.schemas.compile` writes for a schema."""
    import fastjsonschema

    definition, formats = _fast_schema(schema_id)
    code = fastjsonschema.compile_to_code(definition, formats=formats)
    # Only whether the data is valid is asked of this code (tide words each fault with jsonschema),
    # yet a failing branch of anyOf/oneOf is routine (an actor is a string or a mapping), three a
    # file: each raised an exception worded in full, its definition written out as a dict, ~4 us.
    # A bare one is raised instead: made afresh, as one instance raised again and again would
    # keep every frame it passed through in its traceback.
    code = _RAISE.sub(r'\1raise JsonSchemaValueException("not valid; tide.validate says why")', code)
    # That exception is tide's own, so that running the code does not import fastjsonschema.
    code, found = _IMPORT.subn(_OWN_IMPORT, code)
    if found != 1:
        raise RuntimeError("fastjsonschema's generated code no longer imports its exceptions as expected")
    return (f"# Generated from tide/schemas/{SCHEMAS[schema_id]} by `python -m tide.schemas.compile`: do not edit.\n"
            "# tide.validate uses it only while SCHEMA_SHA256 still matches the schema file.\n"
            f'SCHEMA_SHA256 = "{_schema_sha256(schema_id)}"\n{code.rstrip()}\n')


_RAISE = re.compile(r"^( *)raise JsonSchemaValueException\(.*\)$", re.M)
_IMPORT = re.compile(r"^from fastjsonschema import JsonSchemaValueException, JsonSchemaValuesException$", re.M)
_OWN_IMPORT = ("from tide.schemas.compiled import Invalid as JsonSchemaValueException, "
               "Invalid as JsonSchemaValuesException")


def _schema_sha256(schema_id: str) -> str:
    return hashlib.sha256(_schema_bytes(schema_id)).hexdigest()


def _shipped(schema_id: str) -> Callable[..., Any] | None:
    """The generated validator, if it was generated from this schema. That the installed
    fastjsonschema (pinned) would write the same code is for the tests to say."""
    try:
        module = importlib.import_module(f"tide.schemas.compiled.{compiled_name(schema_id)}")
    except ImportError:
        return None
    if getattr(module, "SCHEMA_SHA256", None) != _schema_sha256(schema_id):
        return None
    validate: Callable[..., Any] = module.validate
    return validate


def _fast_check(schema_id: str, data: Any) -> bool:
    check, invalid = _fast_validator(schema_id)
    try:
        check(data)
    except invalid:
        return False
    return True


def _diagnostic(doc: Document, err: ValidationError) -> Diagnostic:
    err = _narrow(err)
    path = tuple(err.absolute_path)
    keyword = str(err.validator)
    code = _CODES.get(keyword, "schema")
    if keyword == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        return _at(doc, path, code, f"{_dotted(path) or 'the threat vector'} is missing required key "
                                    f"'{missing}'", key=True)
    if keyword in ("additionalProperties", "patternProperties"):
        extras = _unknown_keys(err)
        allowed = sorted(err.schema.get("properties", {}))
        msgs = [_at(doc, (*path, k), code, f"unknown key '{k}' in {_dotted(path) or 'the top level'}"
                    + (suggest(k, allowed) or (f" (allowed: {', '.join(allowed)})" if allowed else "")), key=True)
                for k in extras]
        return msgs[0] if msgs else _at(doc, path, code, err.message)
    if keyword == "anyOf" and all(c.validator == "required" for c in err.context or ()):
        keys = [str(c.validator_value[0]) for c in err.context or ()]
        return _at(doc, path, "missing-key", f"{_dotted(path)} needs one of: {', '.join(keys)}", key=True)
    where = _dotted(path) or "the threat vector"
    if keyword == "type":
        expected = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
        wanted = " or ".join(_JSON_TYPES.get(str(t), str(t)) for t in expected)
        return _at(doc, path, code, f"{where} must be {wanted}, not {_describe(err.instance)}")
    if keyword == "pattern":
        hint = err.schema.get("x-tide-hint", f"a value matching {err.validator_value}")
        return _at(doc, path, code, f"{where}: '{err.instance}' is not {hint}")
    if keyword == "uniqueItems":
        return _at(doc, path, code, f"{where} lists the same value twice")
    if keyword == "minItems":
        return _at(doc, path, code, f"{where} must list at least one value")
    if keyword in ("minLength", "maxLength"):
        return _at(doc, path, code, f"{where} {'must not be empty' if keyword == 'minLength' else 'is too long'}")
    if keyword == "minimum":
        return _at(doc, path, code, f"{where} must be at least {err.validator_value}")
    if keyword == "oneOf":
        return _at(doc, path, code, f"{where} must be a text or a list of texts")
    return _at(doc, path, code, f"{where}: {err.message}")


def _narrow(err: ValidationError) -> ValidationError:
    """For oneOf/anyOf, report the branch that fits the value's type rather than the union."""
    if err.validator in ("oneOf", "anyOf") and err.context:
        fitting = [c for c in err.context if c.validator != "type" and not
                   (c.validator == "required" and err.validator == "anyOf")]
        if fitting:
            return _narrow(min(fitting, key=lambda c: (-len(c.absolute_path), str(c.message))))
    return err


def _unknown_keys(err: ValidationError) -> list[str]:
    known = set(err.schema.get("properties", {}))
    patterns = [re.compile(p) for p in err.schema.get("patternProperties", {})]
    instance = err.instance if isinstance(err.instance, dict) else {}
    return [k for k in instance if k not in known and not any(p.search(k) for p in patterns)]


# --- checks a schema cannot express ---------------------------------------------------------

def _check_dates(doc: Document) -> list[Diagnostic]:
    found = []
    dates: dict[str, dt.date] = {}
    for key in ("created", "modified"):
        value = _get(doc.data, ("metadata", key))
        if not isinstance(value, str) or len(value) != 10:
            continue  # wrong shapes are schema errors
        try:
            dates[key] = dt.date.fromisoformat(value)
        except ValueError:
            found.append(_at(doc, ("metadata", key), "invalid-date", f"metadata.{key}: {value} is not a real date"))
    if "created" in dates and "modified" in dates and dates["modified"] < dates["created"]:
        line, col = doc.position(("metadata", "modified"))
        found.append(warning(doc.path, line, col, "date-order",
                             f"metadata.modified ({dates['modified']}) is earlier than "
                             f"metadata.created ({dates['created']})"))
    return found


def _check_name(doc: Document) -> list[Diagnostic]:
    name = doc.data.get("name")
    if not isinstance(name, str) or not name.strip():
        return []
    if slugify(_stem(doc.path)) != slugify(name):
        line, col = doc.position(("name",))
        return [warning(doc.path, line, col, "file-name",
                        f"file name '{PurePath(doc.path).name}' does not match the name '{name}' "
                        f"(expected '{slugify(name)}.yaml')")]
    return []


def _stem(path: str) -> str:
    """`PurePath(path).stem` of a POSIX path as discovery spells it, without making a path object
    (~3 us, for every file)."""
    name = path.rpartition("/")[2]
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def _check_techniques(doc: Document, attack: TechniqueLookup) -> list[Diagnostic]:
    found = []
    techniques = _get(doc.data, ("threat", "att&ck"))
    for i, tid in enumerate(techniques if isinstance(techniques, list) else []):
        if not isinstance(tid, str) or not _TECHNIQUE_ID.match(tid):
            continue  # malformed ids are schema errors already
        technique = attack.get(tid)
        line, col = doc.position(("threat", "att&ck", i))
        if technique is None:
            found.append(error(doc.path, line, col, "unknown-technique",
                               f"{tid} is not an ATT&CK technique in the ATT&CK data in use"))
        elif technique.revoked or technique.deprecated:
            state = "revoked" if technique.revoked else "deprecated"
            new = attack.replacement(tid)
            instead = f"; use {new.id} ({new.full_name})" if new else "; it has no replacement"
            found.append(warning(doc.path, line, col, f"{state}-technique",
                                 f"{tid} ({technique.full_name}) is {state} in ATT&CK{instead}"))
    return found


# --- helpers --------------------------------------------------------------------------------

def _at(doc: Document, path: PathKey, code: str, message: str, key: bool = False) -> Diagnostic:
    line, col = doc.key_position(path) if key and path else doc.position(path)
    return error(doc.path, line, col, code, message)


def _get(data: Any, path: PathKey) -> Any:
    for part in path:
        if isinstance(data, dict) and isinstance(part, str):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data


def _dotted(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _describe(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text '{value[:40]}'"
    return "a list" if isinstance(value, list) else "a mapping"

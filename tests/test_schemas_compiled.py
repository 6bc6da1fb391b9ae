"""The validators shipped in tide/schemas/compiled are exactly what the schema files generate
today, and they judge every input as the validators compiled at run time do (which stand in for
them while they are stale)."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import fastjsonschema
import pytest

from tide import validate
from tide.load import load_file
from tide.schemas.compile import COMPILED, write
from tide.schemas.compiled import Invalid

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_IDS = sorted(validate.SCHEMAS)
STALE = "the generated validators are stale: run `python -m tide.schemas.compile`"


def test_shipped_code_is_generated_from_the_schema_files(tmp_path: Path) -> None:
    fresh = {p.name: p.read_bytes() for p in write(tmp_path)}
    shipped = {p.name for p in COMPILED.glob("*.py")} - {"__init__.py"}
    assert shipped == set(fresh), STALE
    for name, code in fresh.items():
        assert (COMPILED / name).read_bytes() == code, f"{name}: {STALE}"


@pytest.mark.parametrize("schema_id", SCHEMA_IDS)
def test_runs_use_the_shipped_code(schema_id: str) -> None:
    shipped = validate._shipped(schema_id)
    assert shipped is not None, STALE
    assert _function(validate._fast_validator(schema_id)[0]) is shipped


def test_checking_with_the_shipped_code_does_not_import_fastjsonschema() -> None:
    # The shipped code needs only the standard library: importing fastjsonschema costs ~8 ms a
    # process, a tenth of what checking the ShareTide corpus takes.
    code = ("import sys\n"
            "from pathlib import Path\n"
            "from tide.load import load_file\n"
            "from tide.validate import validate_document\n"
            "doc = load_file(Path(sys.argv[1]))[0]\n"
            "assert validate_document(doc) == [], validate_document(doc)\n"
            "print('fastjsonschema' in sys.modules)\n")
    path = ROOT / "objects/threat-vectors/abuse-of-stolen-aws-access-keys.yaml"
    ran = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "False"


def test_local_inputs_and_their_variants_get_the_same_verdicts() -> None:
    documents = [_data(p) for p in sorted([*ROOT.glob("objects/**/*.yaml"), *ROOT.glob("tests/cases/**/*.yaml")])]
    samples = [d for d in documents if d is not None]
    valid = [d for d in samples if _schema_of(d) in validate.SCHEMAS]
    samples.extend(v for d in valid[:4] for v in _variants(d))
    _assert_same_verdicts(samples)


def test_the_corpus_gets_the_same_verdicts(corpus: Path) -> None:
    samples = [d for d in (_data(p) for p in sorted(corpus.glob("*.yaml"))) if d is not None]
    assert len(samples) > 200
    _assert_same_verdicts(samples)


def test_a_stale_or_missing_module_is_compiled_at_run_time(monkeypatch: pytest.MonkeyPatch) -> None:
    path = ROOT / "tests/cases/invalid/many-faults.yaml"
    doc = load_file(path)[0]
    assert doc is not None
    schema_id = _schema_of(doc.data)
    shipped = validate._shipped(schema_id)
    expected = validate.validate_document(doc)
    validate._fast_validator.cache_clear()
    try:
        monkeypatch.setattr(validate, "_schema_sha256", lambda schema_id: "0" * 64)  # an edited schema
        assert validate._shipped(schema_id) is None
        assert validate.validate_document(doc) == expected
        assert _function(validate._fast_validator(schema_id)[0]) is not shipped
        monkeypatch.undo()
        monkeypatch.setattr(validate, "compiled_name", lambda schema_id: "no_such_module")
        assert all(validate._shipped(schema_id) is None for schema_id in SCHEMA_IDS)
    finally:
        validate._fast_validator.cache_clear()


# --- helpers --------------------------------------------------------------------------------

def _assert_same_verdicts(samples: list[Any]) -> None:
    """Each sample against each schema: pass or fail, both ways. Only the verdict counts: the
    shipped code raises one unworded exception (tide words each fault with jsonschema)."""
    verdicts = []
    for schema_id in SCHEMA_IDS:
        definition, formats = validate._fast_schema(schema_id)
        at_run_time = fastjsonschema.compile(definition, formats=formats)
        shipped = validate._fast_validator(schema_id)[0]
        for data in samples:
            verdict = _verdict(shipped, data)
            assert verdict == _verdict(at_run_time, data), (schema_id, data)
            verdicts.append(verdict)
    assert True in verdicts and False in verdicts  # both outcomes were seen


def _verdict(check: Callable[[Any], Any], data: Any) -> bool:
    try:
        check(data)
    except (fastjsonschema.JsonSchemaValueException, Invalid):
        return False
    return True


def _variants(data: dict[str, Any]) -> Iterator[Any]:
    """The document with one key dropped, or one value replaced by a wrong or unknown one."""
    for path in _paths(data):
        *parents, last = path
        for change in ("drop", 42, "", [], {}, "no-such-value", ["no-such-value"]):
            variant = copy.deepcopy(data)
            holder = variant
            for part in parents:
                holder = holder[part]
            if change == "drop":
                del holder[last]
            else:
                holder[last] = change
            yield variant


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        yield (*prefix, key)
        yield from _paths(value, (*prefix, key))


def _function(check: Callable[[Any], Any]) -> Any:
    return check.func if isinstance(check, partial) else check  # both kinds bind the formats


def _data(path: Path) -> Any:
    doc = load_file(path)[0]
    return None if doc is None else doc.data


def _schema_of(data: Any) -> Any:
    metadata = data.get("metadata") if isinstance(data, dict) else None
    return metadata.get("schema") if isinstance(metadata, dict) else None


def test_the_shipped_check_keeps_nothing_from_one_file_to_the_next() -> None:
    # Its failing anyOf/oneOf branches raise exceptions (a kill chain given as a list fails the
    # string branch first): each must go with its check, not keep the frames it passed through.
    import tracemalloc

    doc = load_file(ROOT / "objects/threat-vectors/abuse-of-stolen-aws-access-keys.yaml")[0]
    assert doc is not None and isinstance(doc.data["threat"]["killchain"], list)
    schema_id = _schema_of(doc.data)
    assert validate._fast_check(schema_id, doc.data)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(500):
            validate._fast_check(schema_id, doc.data)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 100_000, f"{grown} bytes kept by 500 checks of one file"

"""docs/misp.md: the feed definition it offers MISP administrators is one MISP accepts."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import jsonschema
import pytest
from test_misp_vectors import SHARED

from tide.misp.event import OPENTIDE_TEMPLATE_UUID, REPORT_NAME
from tide.misp.mapping import event_uuid

DOC = Path(__file__).resolve().parents[1] / "docs" / "misp.md"
SCHEMA = SHARED / "reference" / "misp" / "format" / "feed-metadata.schema.json"


def test_feed_definition_validates() -> None:
    if not SCHEMA.is_file():
        pytest.skip(f"{SCHEMA} is not available")
    blocks = re.findall(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema).validate(json.loads(blocks[0]))


def test_doc_states_the_mapping_constants() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert OPENTIDE_TEMPLATE_UUID in text and REPORT_NAME in text
    # the event uuid formula the doc gives is the one the code uses
    assert 'uuid5(uuid5(NAMESPACE_URL, "tide:misp:event"), lower-case metadata.uuid)' in text
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, "tide:misp:event")
    vector = "D370AAEA-C3E5-4D58-A6C9-3D1A7FFE50E3"
    assert event_uuid(vector) == str(uuid.uuid5(namespace, vector.lower()))

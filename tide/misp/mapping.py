"""How OpenTide values become MISP values: stable uuids, tags, threat level, timestamps, size limits.

Everything here is documented for MISP administrators in docs/misp.md; keep the two in step.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import UTC, date, datetime, time
from functools import lru_cache

from tide.model import Vector, VocabEntry

# Changing this namespace would re-key every published event: subscribers would get duplicates.
EVENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "tide:misp:event")

# MISP stores attribute values, comments and tag names in MySQL columns with these limits.
MAX_VALUE_BYTES = 65535  # attributes.value1 and comment are TEXT
MAX_INFO_CHARS = 256  # misp-rfc: info SHOULD NOT be bigger than 256 characters
MAX_TAG_CHARS = 255  # tags.name is VARCHAR(255)

# threat_level_id: 1 High, 2 Medium, 3 Low, 4 Undefined (misp-rfc), from the NCSC severity scale.
_THREAT_LEVEL = {
    "localised incident": 3,
    "moderate incident": 3,
    "substantial incident": 2,
    "significant incident": 2,
    "highly significant incident": 1,
    "national cyber emergency": 1,
}
UNDEFINED_THREAT_LEVEL = 4
# analysis: 0 Initial, 1 Ongoing, 2 Complete. A published vector is a finished, reviewed analysis.
ANALYSIS_COMPLETE = 2

# Colours MISP's taxonomies give these tags; MISP uses them only when it creates the tag.
_TAG_COLOURS = {
    "tlp:clear": "#ffffff",
    "tlp:white": "#ffffff",
    "tlp:green": "#33FF00",
    "tlp:amber": "#FFC000",
    "tlp:amber+strict": "#FFC000",
    "tlp:red": "#FF2B2B",
    "priority-level:emergency": "#000000",
    "priority-level:severe": "#CC0033",
    "priority-level:high": "#FFC000",
    "priority-level:medium": "#FCEE21",
    "priority-level:low": "#339900",
    "priority-level:baseline-minor": "#006699",
    "priority-level:baseline-negligible": "#FFFFFF",
}
_GALAXY_COLOUR = "#0088cc"  # MISP's colour for galaxy tags
_DEFAULT_COLOUR = "#ffffff"

GALAXY_TAG = re.compile(r'^misp-galaxy:[a-z0-9-]+="[^"]+"$')
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/?#]+\S*$")  # what MISP's `link` validation accepts
CVE = re.compile(r"^CVE-[0-9]{4}-[0-9]{4,}$")


def event_uuid(vector_uuid: str) -> str:
    """The event of a vector: the same uuid on every build and every machine."""
    return _uuid5(EVENT_NAMESPACE.bytes, vector_uuid.strip().lower())


def element_uuid(parent: str, key: str) -> str:
    """An attribute, object or report uuid, stable for the same role within the same parent."""
    return _uuid5(_namespace(parent), key)


_CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@lru_cache(maxsize=1024)
def _namespace(parent: str) -> bytes:
    # An event's elements share their parent: parsed once. Parents are the uuids made here, in
    # canonical form, whose digits are the bytes: a UUID object costs three times as much.
    if _CANONICAL.fullmatch(parent):
        return bytes.fromhex(parent.replace("-", ""))
    return uuid.UUID(parent).bytes


# The first hex digit of the fourth group once the RFC 4122 variant bits (10xx) are set.
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def _uuid5(namespace: bytes, name: str) -> str:
    """`str(uuid.uuid5(namespace, name))`, without its objects: a 10,000-vector feed asks for
    150,000 uuids, and the UUID objects cost three quarters of the time. The version and variant
    are set on the hex digits (~1.0 us a uuid, ~1.3 on the bytes)."""
    text = hashlib.sha1(namespace + name.encode("utf-8"), usedforsecurity=False).hexdigest()
    return f"{text[:8]}-{text[8:12]}-5{text[13:16]}-{_VARIANT[text[16]]}{text[17:20]}-{text[20:32]}"


def base_timestamp(vector: Vector) -> int:
    """Midnight UTC of `modified` plus `version` seconds: a version bump or a newer date is newer."""
    day = date.fromisoformat(vector.modified[:10])
    midnight = datetime.combine(day, time(0, 0), tzinfo=UTC)
    return int(midnight.timestamp()) + max(vector.version, 0)


def threat_level(severity: VocabEntry) -> int:
    return _THREAT_LEVEL.get(severity.name.strip().lower(), UNDEFINED_THREAT_LEVEL)


def tag_colour(name: str) -> str:
    if name.startswith("misp-galaxy:"):
        return _GALAXY_COLOUR
    return _TAG_COLOURS.get(name, _DEFAULT_COLOUR)


def valid_tag(name: str) -> bool:
    """What MISP accepts as a tag name; galaxy tags must also parse as galaxy tags to attach a cluster."""
    if not name or len(name) > MAX_TAG_CHARS or "\n" in name or "\r" in name:
        return False
    return not name.startswith("misp-galaxy:") or bool(GALAXY_TAG.match(name))


def galaxy_tag(galaxy: str, value: str) -> str:
    return f'misp-galaxy:{galaxy}="{value}"'


@lru_cache(maxsize=16384)  # the references of actors and ATT&CK texts come back event after event
def valid_link(url: str) -> bool:
    return bool(_URL.match(url)) and len(url.encode("utf-8")) <= MAX_VALUE_BYTES


def clip_info(text: str) -> str:
    """One line of at most 256 characters."""
    line = " ".join(text.split())
    return line if len(line) <= MAX_INFO_CHARS else line[: MAX_INFO_CHARS - 1].rstrip() + "…"


def clip_value(text: str, limit: int = MAX_VALUE_BYTES) -> str:
    """Cut text to `limit` UTF-8 bytes on a character boundary, saying so at the end."""
    if len(text) * 4 <= limit:  # no character takes more than four bytes: nothing to count
        return text
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    note = f"\n[truncated: {len(data)} bytes exceed MISP's {limit}-byte limit]"
    keep = limit - len(note.encode("utf-8"))
    return data[:keep].decode("utf-8", errors="ignore") + note

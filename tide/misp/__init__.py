"""Export a catalogue as a MISP feed any MISP instance can subscribe to (see docs/misp.md)."""

from tide.misp.event import build_event
from tide.misp.feed import MispExportError, export_misp, iter_misp
from tide.misp.mapping import event_uuid
from tide.misp.stamp import PreviousFeed, read_previous_feed

__all__ = [
    "MispExportError",
    "PreviousFeed",
    "build_event",
    "event_uuid",
    "export_misp",
    "iter_misp",
    "read_previous_feed",
]

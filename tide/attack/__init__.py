"""ATT&CK data: which techniques exist in the pinned release, what they are called, what replaced them.

Import-light on purpose (no HTTP client here): `tide --help` must start fast. The network is only
touched by `tide.attack.update`, which `tide attack update` imports when it runs.
"""

from __future__ import annotations

from tide.attack.data import AttackData, AttackDataError, Source
from tide.attack.store import cache_dir, load_attack

__all__ = ["AttackData", "AttackDataError", "Source", "cache_dir", "load_attack"]

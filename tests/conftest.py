"""Shared fixtures. Tests run from the repository root so that diagnostic paths are stable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus" / "sharetide" / "tvm"
SEED = SHARED / "seed" / "AWS Stop Logging CloudTrail.yaml"


@pytest.fixture(autouse=True)
def _at_repository_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    # Never let a developer's own ATT&CK cache change what the tests see.
    monkeypatch.setenv("TIDE_CACHE_DIR", str(ROOT / "build" / ".test-cache-unused"))


def require_corpus() -> Path:
    """The ShareTide corpus: CI must have it; a developer without ../shared skips."""
    if not CORPUS.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"the ShareTide corpus is missing at {CORPUS}")
        pytest.skip(f"the ShareTide corpus is not at {CORPUS}")
    return CORPUS


@pytest.fixture
def corpus() -> Path:
    return require_corpus()

"""The one diagnostic type every stage returns, and its three output formats."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One fault at a position. Lines and columns are 1-based; 0 means "the whole file"."""

    path: str
    line: int
    column: int
    severity: Severity
    code: str
    message: str

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def text(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.severity.value}: {self.message} [{self.code}]"

    def github(self) -> str:
        # Workflow commands: properties and data have their own escaping rules.
        def prop(value: str) -> str:
            return (value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
                    .replace(":", "%3A").replace(",", "%2C"))

        def data(value: str) -> str:
            return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

        kind = "error" if self.is_error else "warning"
        where = f"file={prop(self.path)}"
        if self.line:
            where += f",line={self.line},col={max(self.column, 1)}"
        return f"::{kind} {where},title={prop(self.code)}::{data(self.message)}"

    def as_json(self) -> dict[str, object]:
        out = asdict(self)
        out["severity"] = self.severity.value
        return out


def error(path: str, line: int, column: int, code: str, message: str) -> Diagnostic:
    return Diagnostic(path, line, column, Severity.ERROR, code, message)


def warning(path: str, line: int, column: int, code: str, message: str) -> Diagnostic:
    return Diagnostic(path, line, column, Severity.WARNING, code, message)


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(set(diagnostics))


def format_diagnostics(diagnostics: list[Diagnostic], fmt: str) -> str:
    """Render diagnostics as `text` lines, a `json` list or `github` annotations."""
    if fmt == "json":
        return json.dumps([d.as_json() for d in diagnostics], indent=2, ensure_ascii=False)
    if fmt == "github":
        return "\n".join(d.github() for d in diagnostics)
    return "\n".join(d.text() for d in diagnostics)

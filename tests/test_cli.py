"""The command line contract: exit codes, output formats, summary, and robustness."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tide.cli import main

INVALID = Path("tests/cases/invalid")


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tide", *args], capture_output=True, text=True,
                          timeout=timeout, check=False)


def test_corpus_validates_clean(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(corpus)]) == 0
    out, err = capsys.readouterr()
    # ATT&CK v19 revoked some techniques the corpus still cites: warnings, never errors.
    assert all(line.endswith("[revoked-technique]") for line in out.splitlines())
    assert "226 files: 0 errors," in err and "ATT&CK enterprise-attack 19.0" in err


def test_objects_validate_with_only_the_seed_revocation_warning(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0
    out, _ = capsys.readouterr()
    assert "T1562.008" in out and "T1685.002" in out and "warning" in out
    assert main(["validate", "--strict"]) == 1


def test_every_invalid_case_fails_in_one_bounded_run_without_traceback() -> None:
    proc = run("validate", str(INVALID), timeout=60)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    reported = {line.split(":")[0] for line in proc.stdout.splitlines()}
    cases = {str(p) for p in INVALID.glob("*.yaml")}
    assert cases - reported == set(), "every invalid case must produce a diagnostic"


def test_the_program_ends_with_both_streams_written() -> None:
    # As a program, tide ends with os._exit (tide.cli._finish): what it printed must be flushed
    # first. A pipe is block-buffered, so a lost flush would leave stdout cut short or empty.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    proc = subprocess.run([sys.executable, "-m", "tide", "validate", "--format", "json", str(INVALID)],
                          capture_output=True, text=True, timeout=60, check=False, env=env)
    assert proc.returncode == 1
    assert proc.stdout.endswith("]\n")
    reported = json.loads(proc.stdout)
    files = {str(p) for p in INVALID.rglob("*.yaml")}
    assert {d["path"] for d in reported} == files
    errors = sum(d["severity"] == "error" for d in reported)
    assert f"validated {len(files)} files: {errors} errors," in proc.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("target", [str(INVALID / "bad-uuid.yaml"), str(INVALID)])
def test_a_report_that_cannot_be_written_is_a_set_up_error_without_traceback(target: str) -> None:
    # A few lines fail when flushed at the end, many while printed: both say so and exit 2.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    with open("/dev/full", "w") as full:  # every write fails: no space left on device
        proc = subprocess.run([sys.executable, "-m", "tide", "validate", target], stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=60, check=False, env=env)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr


def test_json_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--format", "json", str(INVALID / "vocabulary-misspelt.yaml")]) == 1
    out, _ = capsys.readouterr()
    assert json.loads(out) == [{
        "path": "tests/cases/invalid/vocabulary-misspelt.yaml", "line": 2, "column": 14,
        "severity": "error", "code": "unknown-value",
        "message": "criticality: unknown criticality value 'Hihg', did you mean 'High'?"}]


def test_github_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--format", "github", str(INVALID / "duplicate-key.yaml")]) == 1
    out, _ = capsys.readouterr()
    assert out.strip() == ("::error file=tests/cases/invalid/duplicate-key.yaml,line=3,col=1,"
                           "title=duplicate-key::duplicate key 'criticality' (first defined at line 2)")


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "no/such/dir"]) == 2
    assert "no such file or directory: no/such/dir" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["validate", "--format", "xml"])
    assert exc.value.code == 2
    assert main([]) == 2


def test_unreadable_attack_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "attack.json.gz"
    broken.write_bytes(b"not gzip")
    assert main(["validate", "--attack", str(broken)]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_new_writes_a_valid_vector_and_refuses_to_overwrite(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", "Kerberoasting of service accounts", "--dir", str(tmp_path)]) == 0
    path = tmp_path / "kerberoasting-of-service-accounts.yaml"
    assert capsys.readouterr().out.strip() == str(path)
    assert main(["validate", str(path)]) == 0
    assert "0 errors, 0 warnings" in capsys.readouterr().err
    assert main(["new", "Kerberoasting of service accounts", "--dir", str(tmp_path)]) == 2


def test_new_escapes_names_that_are_yaml_syntax(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", 'Quote " and # colon: [x]', "--dir", str(tmp_path)]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path.parent == tmp_path
    assert main(["validate", str(path)]) == 0


def test_python_dash_m_and_help() -> None:
    proc = run("--help")
    assert proc.returncode == 0 and "validate" in proc.stdout and "build" in proc.stdout
    assert run("--version").stdout.startswith("tide ")


# What `tide --help` and `tide validate` must not import (issue: start-up time): the site,
# the page rendering, the MISP stack and the HTTP client are for other commands.
HEAVY = ("mkdocs", "material", "markdown", "jinja2", "pymisp", "requests", "tide.site", "tide.render", "tide.misp",
         "tide.attack.update", "jsonschema", "fastjsonschema")


@pytest.mark.parametrize("args", [["--help"], ["validate", "objects"]])
def test_help_and_validate_leave_the_heavy_stacks_unimported(args: list[str]) -> None:
    code = ("import sys\n"
            "from tide.cli import main\n"
            "try:\n"
            f"    main({args!r})\n"
            "except SystemExit:\n"
            "    pass\n"
            "print(' '.join(sorted(sys.modules)), file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    modules = proc.stderr.strip().splitlines()[-1].split()
    assert "tide.cli" in modules
    assert [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)] == []


def test_export_misp_writes_only_the_feed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "feed"
    assert main(["export", "misp", "--out", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert "manifest.json" in names and "hashes.csv" in names and len(names) == 2 + 4
    assert "exported 4 files: 0 errors" in capsys.readouterr().err
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(f"{uuid}.json" for uuid in manifest) == sorted(n for n in names if n.count("-") == 4)


def test_export_misp_refuses_invalid_input(tmp_path: Path) -> None:
    assert main(["export", "misp", "--out", str(tmp_path / "feed"), str(INVALID / "duplicate-key.yaml")]) == 1
    assert not (tmp_path / "feed").exists()


def test_serve_builds_and_serves_the_site_on_loopback() -> None:
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "tide", "serve", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        page = ""
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                url = f"http://127.0.0.1:{port}/threat-vectors/aws-stop-logging-cloudtrail/"
                with urllib.request.urlopen(url, timeout=5) as response:
                    page = response.read().decode()
                break
            except OSError:
                time.sleep(0.5)
        assert "AWS Stop Logging CloudTrail" in page, proc.stderr.read() if proc.poll() is not None else ""
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_serve_gives_the_collector_back_what_a_rebuild_set_aside(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    import tide.site

    frozen: list[int] = []

    def serve_once(rebuild: Any, *args: Any, **kwargs: Any) -> None:
        found = rebuild(tmp_path / "site")
        assert not [d for d in found if d.is_error]
        frozen.append(gc.get_freeze_count())

    monkeypatch.setattr(tide.site, "serve_site", serve_once)
    monkeypatch.setenv("TIDE_JOBS", "1")
    try:
        assert main(["serve"]) == 0
    finally:
        gc.unfreeze()
    assert frozen == [0] and gc.isenabled()

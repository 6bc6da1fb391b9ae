"""Command line: `tide validate`, `tide build`, `tide new`, `tide export`, `tide attack`.

Only this module prints and chooses exit codes: 0 clean (or warnings only), 1 content errors
(or warnings with --strict), 2 usage or configuration errors. Stage modules are imported inside
the commands so that `tide --help` stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from tide import __version__

if TYPE_CHECKING:
    from tide.build import Result
    from tide.config import Config

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2
Command = Callable[[argparse.Namespace], int]
_PROGRAM: list[bool] = []  # set when running as the `tide` program, not called from Python


def program() -> NoReturn:
    """The `tide` program (`python -m tide`): `main` on the command line's arguments."""
    _PROGRAM.append(True)
    _exit(main())


def _exit(code: int) -> NoReturn:
    """End the program with `code` once what it printed is written, skipping the interpreter's
    teardown (see `_finish`). Output that cannot be written (a reader that left, a full disk)
    changes the code: the report did not reach its reader whole."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # `tide validate | head`, as in main()
        code = EXIT_ERRORS
    except OSError:
        code = EXIT_USAGE
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        code: int = args.run(args)
        return code
    except KeyboardInterrupt:
        print("tide: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `tide validate | head`: the reader left, nothing to report
        sys.stderr.close()
        return EXIT_ERRORS
    except OSError as exc:  # the report could not be written (a full disk), or worse: say so, once
        with contextlib.suppress(OSError):
            print(f"tide: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    except _UsageError as exc:
        print(f"tide: {exc}", file=sys.stderr)
        return EXIT_USAGE


class _UsageError(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tide", description="Compile and publish OpenTide threat vectors.")
    parser.add_argument("--version", action="version", version=f"tide {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                        help="files or directories of threat vectors (default: objects/)")
    common.add_argument("--attack", type=Path, metavar="FILE", help="ATT&CK data file to use")
    common.add_argument("--format", choices=("text", "json", "github"), default="text",
                        help="how to print diagnostics (default: text)")
    common.add_argument("--strict", action="store_true", help="treat warnings as errors (exit 1)")
    common.add_argument("--no-cache", action="store_true",
                        help="parse and validate every file again instead of reusing unchanged results")

    p = sub.add_parser("validate", parents=[common], help="check threat vectors and report every fault")
    p.set_defaults(run=_validate)

    p = sub.add_parser("build", parents=[common], help="validate, then write Markdown, site, MISP feed, layer, index")
    p.add_argument("--out", type=Path, default=Path("build"), help="output directory (default: build/)")
    p.add_argument("--no-site", action="store_true", help="skip the HTML site")
    p.add_argument("--templates", type=Path, help="Jinja2 templates directory (default: templates/)")
    p.set_defaults(run=_build)

    p = sub.add_parser("serve", parents=[common], help="serve the site locally and rebuild it as objects change")
    p.add_argument("--templates", type=Path, help="Jinja2 templates directory (default: templates/)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    p.set_defaults(run=_serve)

    p = sub.add_parser("new", help="write a new, valid threat vector to fill in")
    p.add_argument("name", help="the threat vector's name")
    p.add_argument("--dir", type=Path, default=Path("objects/threat-vectors"), help="where to write it")
    p.set_defaults(run=_new)

    p = sub.add_parser("export", help="write one export alone")
    export = p.add_subparsers(dest="export", metavar="KIND", required=True)
    m = export.add_parser("misp", parents=[common], help="the MISP feed")
    m.add_argument("--out", type=Path, required=True, help="feed directory")
    m.set_defaults(run=_export_misp)

    from tide.attack import cli as attack_cli

    attack_cli.add_parser(sub)
    return parser


def _config() -> Config:
    from tide.config import ConfigError, load_config

    try:
        return load_config(Path.cwd())
    except ConfigError as exc:
        raise _UsageError(str(exc)) from exc


def _paths(args: argparse.Namespace) -> list[Path]:
    paths: list[Path] = args.paths or [Path("objects")]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise _UsageError(f"no such file or directory: {', '.join(missing)}")
    return paths


def _report(result: Result, args: argparse.Namespace, action: str) -> int:
    from tide.diagnostics import format_diagnostics

    if result.diagnostics:
        print(format_diagnostics(result.diagnostics, args.format))
    attack = f"; ATT&CK {result.attack.domain} {result.attack.version}" if result.attack else ""
    files = f"{result.files} file{'s' * (result.files != 1)}"
    print(f"{action} {files}: {result.errors} error{'s' * (result.errors != 1)}, "
          f"{result.warnings} warning{'s' * (result.warnings != 1)}{attack}", file=sys.stderr)
    failed = result.errors > 0 or (args.strict and result.warnings > 0)
    return EXIT_ERRORS if failed else EXIT_OK


def _finish(code: int) -> int:
    """`code`; as the `tide` program, the process ends here instead, while the command's result
    is still alive. Freeing a catalogue object by object takes 0.1 s at 10,000 vectors (and the
    interpreter's own teardown more), where the operating system takes the process back at once."""
    if _PROGRAM:
        _exit(code)
    return code


def _setup_errors_are_usage(func: Command) -> Command:
    """Unreadable ATT&CK data, an unwritable output or a lost worker process is a set-up error
    (exit 2), not content."""
    def run(args: argparse.Namespace) -> int:
        from tide.attack import AttackDataError
        from tide.config import ConfigError
        from tide.output import OutputError
        from tide.outputs import WorkerError

        try:
            code: int = func(args)
            return code
        except (AttackDataError, ConfigError, OutputError, WorkerError) as exc:
            raise _UsageError(str(exc)) from exc
    return run


@_setup_errors_are_usage
def _validate(args: argparse.Namespace) -> int:
    from tide.build import check

    result = check(_paths(args), _config(), args.attack, use_cache=not args.no_cache)
    return _finish(_report(result, args, "validated"))


@_setup_errors_are_usage
def _build(args: argparse.Namespace) -> int:
    from tide.build import build

    result = build(_paths(args), args.out, _config(), site=not args.no_site, attack_file=args.attack,
                   templates=args.templates, use_cache=not args.no_cache)
    code = _report(result, args, "built" if result.built else "checked")
    if result.errors:
        print(f"tide: nothing written; {args.out} is unchanged", file=sys.stderr)
    return _finish(code)


@_setup_errors_are_usage
def _export_misp(args: argparse.Namespace) -> int:
    from tide.build import check
    from tide.misp import export_misp, read_previous_feed
    from tide.output import Staging

    config = _config()
    result = check(_paths(args), config, args.attack, enrich=True, use_cache=not args.no_cache)
    if result.catalogue is not None:
        files = export_misp(result.catalogue, config, read_previous_feed(args.out))
        with Staging(args.out) as stage:
            stage.write_all(files)
            stage.commit()
    return _report(result, args, "exported" if result.catalogue and not result.errors else "checked")


@_setup_errors_are_usage
def _serve(args: argparse.Namespace) -> int:
    from tide.build import compile_catalogue, site_sources
    from tide.diagnostics import Diagnostic, format_diagnostics, sort_diagnostics
    from tide.render import render_markdown
    from tide.site import build_site, serve_site
    from tide.site_memo import RecentMemo

    config, paths = _config(), _paths(args)
    templates = args.templates or config.root / "templates"
    # Rebuilds run beside the server's threads, and forking a threaded process can deadlock on a
    # lock another thread held: one process, unless the user says otherwise.
    os.environ.setdefault("TIDE_JOBS", "1")

    memo = RecentMemo()  # pages converted by the last rebuild are not converted again

    def rebuild(out: Path) -> list[Diagnostic]:
        try:
            catalogue, found = compile_catalogue(paths, config, args.attack)
            if catalogue is None:
                return found
            pages = render_markdown(catalogue, templates, flavour="mkdocs")
            found += build_site(pages, config.root / "site", out, config, catalogue.attack,
                                sources=site_sources(catalogue, config), memo=memo)
            memo.next_build()
            return found
        finally:
            # A check sets aside (gc.freeze) what it made; the server lives on, rebuild after
            # rebuild: give the collector back what it set aside, cycles left behind included.
            gc.unfreeze()
            gc.collect()

    def report(found: list[Diagnostic]) -> None:
        if found:
            print(format_diagnostics(sort_diagnostics(found), args.format), file=sys.stderr)

    serve_site(rebuild, [*paths, config.root / "site", templates], host=args.host, port=args.port,
               report=report, ready=lambda url, stop: print(f"serving {url} (Ctrl-C stops)", file=sys.stderr))
    return EXIT_OK


def _new(args: argparse.Namespace) -> int:
    from tide.new import write_new

    try:
        path = write_new(args.name, args.dir)
    except (FileExistsError, ValueError) as exc:
        raise _UsageError(str(exc)) from exc
    print(path)
    return EXIT_OK

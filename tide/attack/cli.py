"""`tide attack info|update|import`: the command-line side of the ATT&CK data layer.

The shipped snapshots are regenerated with (see tide/data/attack/README.md):

    tide attack import --galaxy ../shared/reference/misp/galaxy --version 19.0 --domain enterprise \
        --out tide/data/attack/enterprise-attack.json.gz
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from tide.attack.data import AttackData, AttackDataError
from tide.attack.releases import DOMAINS
from tide.config import ConfigError, load_config


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `attack` and its subcommands to the top-level `tide` parser."""
    attack = subparsers.add_parser("attack", help="show, update or import the ATT&CK data",
                                   description="Show, update or import the ATT&CK data tide uses.")
    attack.set_defaults(run=run)
    commands = attack.add_subparsers(dest="attack_command", metavar="COMMAND")

    info = commands.add_parser("info", help="print which ATT&CK data is in use and its version")
    info.add_argument("--attack", dest="attack_file", type=Path, metavar="FILE",
                      help="an ATT&CK snapshot to use instead of the project/cache/shipped one")

    update = commands.add_parser(
        "update", help="download an official ATT&CK release into the user cache",
        description="Download an official ATT&CK STIX 2.1 release, verify its published sha256 and "
                    "convert it into the user cache. On any failure the previous data stays.")
    update.add_argument("--version", dest="attack_version", default="", metavar="X",
                        help="ATT&CK release, e.g. 19.0 (default: the latest known)")
    update.add_argument("--domain", dest="attack_domain", choices=DOMAINS, default="enterprise")
    update.add_argument("--url", dest="attack_url", default="", metavar="PATTERN",
                        help="download URL pattern with {domain} and {release} (a mirror); "
                             "also $TIDE_ATTACK_URL")
    update.add_argument("--timeout", dest="attack_timeout", type=float, default=120.0, metavar="SECONDS",
                        help="read timeout of the download (default: 120)")

    imp = commands.add_parser(
        "import", help="convert a STIX bundle or the MISP galaxy into an ATT&CK snapshot",
        description="Convert an ATT&CK STIX 2.1 bundle (checksum verified) or the MISP galaxy clusters "
                    "into a compact snapshot. Without --out it goes to the user cache and is used.")
    source = imp.add_mutually_exclusive_group(required=True)
    source.add_argument("--stix", dest="attack_stix", type=Path, metavar="FILE",
                        help="an official ATT&CK STIX 2.1 bundle")
    source.add_argument("--galaxy", dest="attack_galaxy", type=Path, metavar="DIR",
                        help="a directory with the MISP galaxy clusters_mitre-*.json files")
    imp.add_argument("--version", dest="attack_version", default="", metavar="X",
                     help="ATT&CK release of the galaxy (it does not record one), e.g. 19.0")
    imp.add_argument("--domain", dest="attack_domain", choices=("enterprise", "mobile"), default="enterprise",
                     help="domain to take from the galaxy (default: enterprise)")
    imp.add_argument("--out", dest="attack_out", type=Path, metavar="FILE",
                     help="where to write the snapshot (default: the user cache)")
    imp.add_argument("--no-verify", dest="attack_no_verify", action="store_true",
                     help="import a STIX bundle whose checksum is not a published release")


def _fail(command: str, message: str) -> int:
    print(f"tide attack {command}: error: {message}", file=sys.stderr)
    return 1


def describe(data: AttackData) -> str:
    """The `attack info` text: every snapshot in use, where it is, and MITRE's notice."""
    lines = ["ATT&CK data in use:"]
    for source in data.sources:
        techniques = [t for t in data.techniques.values() if t.domain == source.info.domain]
        revoked = sum(t.revoked for t in techniques)
        deprecated = sum(t.deprecated and not t.revoked for t in techniques)
        lines += [
            f"  {source.info.domain} {source.info.version} ({source.origin}: {source.path})",
            f"    source: {source.info.source}",
            f"    sha256: {source.info.sha256}",
            f"    techniques: {source.techniques} ({revoked} revoked, {deprecated} deprecated)",
        ]
    lines.append(data.info.notice)
    return "\n".join(lines)


def _info(args: argparse.Namespace) -> int:
    from tide.attack.store import load_attack

    try:
        config = load_config(Path.cwd())
    except ConfigError as exc:
        print(f"tide attack info: error: {exc}", file=sys.stderr)
        return 2
    explicit = getattr(args, "attack_file", None) or getattr(args, "attack", None)
    data = load_attack(explicit, config)
    print(describe(data))
    return 0


def _update(args: argparse.Namespace) -> int:
    from tide.attack.update import update

    try:
        result = update(args.attack_domain, args.attack_version, url=args.attack_url,
                        timeout=args.attack_timeout)
    except AttackDataError as exc:
        return _fail("update", f"{exc}; the previous ATT&CK data is kept")
    what = "downloaded" if result.status == "downloaded" else "not modified since the last download"
    print(f"{result.domain} {result.version}: {what} ({result.url}); checksum verified; "
          f"{result.techniques} techniques now in {result.snapshot}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from tide.attack.snapshot import encode
    from tide.attack.store import cached_snapshot, write_atomic

    if args.attack_stix is not None:
        from tide.attack.stix import import_stix

        document = import_stix(args.attack_stix, check=not args.attack_no_verify)
        found = document["attack"]["version"]
        if args.attack_version and args.attack_version != found:
            return _fail("import", f"{args.attack_stix} is ATT&CK {found}, not {args.attack_version}")
    else:
        from tide.attack.galaxy import import_galaxy

        document = import_galaxy(args.attack_galaxy, args.attack_version, args.attack_domain)
    meta = document["attack"]
    out = args.attack_out or cached_snapshot(meta["domain"])
    try:
        write_atomic(out, encode(document))
    except OSError as exc:
        return _fail("import", f"cannot write {out} ({exc.strerror or exc})")
    print(f"wrote {out}: {meta['domain']} {meta['version']}, {len(document['techniques'])} techniques "
          f"(source sha256 {meta['sha256']})")
    return 0


def run(args: argparse.Namespace) -> int:
    """Run `tide attack ...`: 0 done, 1 failed (message on stderr), 2 usage error."""
    command = getattr(args, "attack_command", None)
    handlers = {"info": _info, "update": _update, "import": _import}
    if command not in handlers:
        print("tide attack: error: choose a command: info, update or import", file=sys.stderr)
        return 2
    if command == "import" and getattr(args, "attack_galaxy", None) is not None and not args.attack_version:
        print("tide attack import: error: --galaxy needs --version (the galaxy does not record its "
              "ATT&CK release)", file=sys.stderr)
        return 2
    try:
        return handlers[command](args)
    except AttackDataError as exc:
        return _fail(command, str(exc))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tide")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_parser(subparsers)
    args = parser.parse_args(argv)
    if args.command != "attack":
        parser.print_usage(sys.stderr)
        return 2
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())

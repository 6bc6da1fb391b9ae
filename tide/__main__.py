from tide.cli import program

raise SystemExit(program())

"""Command line: ``python -m coverage SUBCOMMAND ...``.

Each subcommand lives in its own module of this package, which defines
``register(subparsers)``: it adds its parser and sets ``func`` (called with the
parsed arguments, returning the process exit code).  Heavy imports happen inside
``func`` so that ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import sys
from collections.abc import Sequence

from coverage.errors import CoverageError

#: Subcommand modules, in the order data flows.
SUBCOMMANDS = ("validate", "demo", "od", "analyze", "optimize", "map", "report")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available subcommand."""
    parser = argparse.ArgumentParser(
        prog="python -m coverage",
        description="民政服务设施覆盖规划 / Civil-affairs service coverage planner",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        modname = f"coverage.cli.{name}"
        if importlib.util.find_spec(modname) is None:
            continue
        importlib.import_module(modname).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except CoverageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

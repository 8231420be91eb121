"""`python -m dragdl_core ...`: one module per command group, each adding its subcommands.

Every command exits non-zero with one clear line on stderr for a user's mistake (a UserError), never a
traceback; a bug still shows its traceback."""
from __future__ import annotations

import argparse
import importlib
import sys

from ..classroom.class_config import ConfigError

COMMAND_MODULES = ["graph", "datasets", "tasks", "up", "weights", "models", "users", "export"]


class UserError(Exception):
    """A mistake the user can fix; printed as one line, exit code 2 unless given."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dragdl_core",
                                     description="DragDL: build, train and use image classifiers from graphs.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args) or 0
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.code
    except ConfigError as err:  # a broken class configuration file, read by any command
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130

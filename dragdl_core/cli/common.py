"""Helpers every command group shares: reading a graph file into one clear error, printing validation
errors, and the one `--json` option with its printer (commands that report take `--json` for scripts)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from . import UserError
from ..compiler.graph import GraphError, read_graph_file
from ..compiler.validate import analyze


def load_graph_file(path: str):
    """The graph in a file, or one clear line for the user."""
    try:
        return read_graph_file(path)
    except GraphError as err:
        raise UserError(str(err)) from None


def analyze_file(path: str):
    return analyze(load_graph_file(path))


def print_errors(errors: list[dict], as_json: bool) -> int:
    """Validation errors as `node.field: message` lines on stderr (or a JSON array on stdout); exit code 2."""
    if as_json:
        print_json(errors)
    else:
        for e in errors:
            where = f"{e['node']}.{e['field']}" if e["node"] and e["field"] else (e["node"] or "graph")
            print(f"{where}: {e['message']}" + (f" ({e['detail']})" if e.get("detail") else ""), file=sys.stderr)
    return 2


def add_json_option(parser, help_text: str = "print the result as JSON, for scripts") -> None:
    parser.add_argument("--json", action="store_true", help=help_text)


def print_json(data, *, indent: int | None = 2) -> None:
    """What a `--json` command prints: one JSON document on stdout (anything not JSON-native as a string)."""
    print(json.dumps(data, indent=indent, default=str))


class ProgressBar:
    """A `progress(done, total)` callback (what the dataset store reports) drawn by tqdm on stderr; silent
    when stderr is not a terminal, so scripts and logs get only the result lines."""

    def __init__(self, label: str, unit: str = "file"):
        self.label, self.unit, self.bar = label, unit, None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=self.label, unit=self.unit, file=sys.stderr,
                            disable=not sys.stderr.isatty())
        if self.bar.total != total:
            self.bar.total = total
        self.bar.update(max(0, done - self.bar.n))
        if done >= total:
            self.bar.close()

"""Starting points for the canvas: the class's assignments first ("assignment: <title>", published by an
instructor under <home>/assignments/), then the example graphs shipped in `examples/`, by their graph name."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from . import assignments
from .config import REPO_ROOT

EXAMPLES_DIR = REPO_ROOT / "examples"


def templates() -> dict[str, Path]:
    """Every assignment and readable example graph, as {title: path}; an example's title is the graph's name
    (file name if none). A graph opened from an assignment is tagged with it for the leaderboard
    (pages/build.py)."""
    found = {f"assignment: {a.title}": assignments.graph_path(a.name) for a in assignments.list_assignments()}
    try:
        stamp = EXAMPLES_DIR.stat().st_mtime_ns
    except OSError:
        stamp = None
    found.update(_examples(stamp))
    return found


@lru_cache(maxsize=4)
def _examples(stamp: int | None) -> dict[str, Path]:
    """The example graphs by title; read again only when the folder changes (the Build page asks each rerun)."""
    found = {}
    for path in sorted(EXAMPLES_DIR.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("format") == "dragdl.graph":
            found[data.get("name") or path.stem] = path
    return found


def open_template(title: str) -> tuple[dict, str | None]:
    """The template's graph, and the assignment it stands for (its name; None for an example)."""
    path = templates()[title]
    return load_template(path), (path.parent.name if title.startswith("assignment: ") else None)


def load_template(source: str | Path) -> dict:
    """A template's graph, by title or by the path templates() gave."""
    path = source if isinstance(source, Path) else templates()[source]
    return json.loads(path.read_text(encoding="utf-8"))

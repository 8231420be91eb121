"""Starting points for the canvas: the class's assignments first ("assignment: <title>", published by an
instructor under <home>/assignments/), then the example graphs shipped in `examples/`, by their graph name."""
from __future__ import annotations

import json
from pathlib import Path

from . import assignments
from .config import REPO_ROOT

EXAMPLES_DIR = REPO_ROOT / "examples"


def templates() -> dict[str, Path]:
    """Every assignment and readable example graph, as {title: path}; an example's title is the graph's name
    (file name if none). A graph opened from an assignment is tagged with it for the leaderboard
    (pages/build.py)."""
    found = {f"assignment: {a.title}": assignments.graph_path(a.name) for a in assignments.list_assignments()}
    for path in sorted(EXAMPLES_DIR.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("format") == "dragdl.graph":
            found[data.get("name") or path.stem] = path
    return found


def assignment_of(title: str) -> str | None:
    """The assignment a template title stands for (its name), or None for an example."""
    path = templates().get(title)
    return path.parent.name if path is not None and title.startswith("assignment: ") else None


def load_template(title: str) -> dict:
    return json.loads(templates()[title].read_text(encoding="utf-8"))

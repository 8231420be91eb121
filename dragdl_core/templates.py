"""Starting points for the canvas: the example graphs shipped in `examples/`, by their graph name."""
from __future__ import annotations

import json
from pathlib import Path

from .config import REPO_ROOT

EXAMPLES_DIR = REPO_ROOT / "examples"


def templates() -> dict[str, Path]:
    """Every readable example graph, as {title: path}; the title is the graph's name (file name if none)."""
    found = {}
    for path in sorted(EXAMPLES_DIR.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("format") == "dragdl.graph":
            found[data.get("name") or path.stem] = path
    return found


def load_template(title: str) -> dict:
    return json.loads(templates()[title].read_text(encoding="utf-8"))

"""`.dragdl.json` in each dataset folder: who imported it, when, from what, and the import report.
A dot-file, so the ImageFolder loader never takes it for a class."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

FILE = ".dragdl.json"
FORMAT = "dragdl.dataset"


def new(name: str, owner: str | None, source: str, **fields) -> dict:
    return {"format": FORMAT, "version": 1, "name": name, "owner": owner,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"), "source": source, **fields}


def write(folder: Path, data: dict) -> None:
    (folder / FILE).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def read(folder: Path) -> dict:
    """The metadata, or {} for a folder made by hand (or a damaged file): such a dataset still works."""
    try:
        data = json.loads((folder / FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("format") == FORMAT else {}

"""Reading a run directory (see DESIGN.md, "Run directory") while it is being written: status, metrics,
report, log and misclassified images. Tolerant of a half-written last line; never raises for a file that
is not there yet. Pure: no Paddle, so the web app reads runs without importing it."""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

MISCLASSIFIED = re.compile(r"^(?P<index>\d+)_(?P<label>.+)_as_(?P<predicted>.+)\.png$")


@dataclass
class Metrics:
    steps: list[dict] = field(default_factory=list)   # kind "step": epoch, step, loss, accuracy, lr, ...
    epochs: list[dict] = field(default_factory=list)  # kind "epoch": train/val loss and accuracy, times, ...
    tests: list[dict] = field(default_factory=list)   # kind "test": accuracy, loss


def _json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_status(run_dir: Path) -> dict:
    return _json(Path(run_dir) / "status.json") or {}


def read_report(run_dir: Path) -> dict | None:
    return _json(Path(run_dir) / "report.json")


def read_task(run_dir: Path) -> dict:
    """What the submit said beyond the graph (task name, assignment); {} for runs that were not tasks."""
    task = _json(Path(run_dir) / "task.json")
    return task if isinstance(task, dict) else {}


def read_graph(run_dir: Path) -> dict | None:
    return _json(Path(run_dir) / "graph.json")


def read_metrics(run_dir: Path) -> Metrics:
    metrics = Metrics()
    try:
        text = (Path(run_dir) / "metrics.jsonl").read_text(encoding="utf-8")
    except OSError:
        return metrics
    lists = {"step": metrics.steps, "epoch": metrics.epochs, "test": metrics.tests}
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue  # the line being written right now
        if isinstance(record, dict) and record.get("kind") in lists:
            lists[record["kind"]].append(record)
    return metrics


def tail(path: Path, lines: int) -> str:
    """The last `lines` lines of a text file, reading only the end of a big one."""
    if lines <= 0:
        return ""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            chunk, data = 8192, b""
            while size > 0 and data.count(b"\n") <= lines:
                step = min(chunk, size)
                size -= step
                f.seek(size)
                data = f.read(step) + data
                chunk *= 2
    except OSError:
        return ""
    text = data.decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:]) + ("\n" if text else "")


def log_tail(run_dir: Path, lines: int = 200) -> str:
    return tail(Path(run_dir) / "log.txt", lines).removesuffix("\n")


@dataclass
class Misclassified:
    path: Path
    label: str
    predicted: str


def misclassified(run_dir: Path, limit: int = 32) -> list[Misclassified]:
    """The test images the model got wrong (saved by the run as `<index>_<label>_as_<predicted>.png`)."""
    folder = Path(run_dir) / "misclassified"
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.png"))[:limit]:
        match = MISCLASSIFIED.match(path.name)
        if match:
            out.append(Misclassified(path, match["label"], match["predicted"]))
    return out


def describe(run_dir: Path, user: str) -> dict:
    """A task record (the shape `dragdl_core.tasks.list_tasks` returns) built from the directory alone."""
    run_dir = Path(run_dir)
    status, graph = read_status(run_dir), read_graph(run_dir) or {}
    created_from = run_dir / "graph.json" if (run_dir / "graph.json").exists() else run_dir
    return {"id": run_dir.name, "user": user, "name": graph.get("name", run_dir.name),
            "state": status.get("state", "queued"), "created": created_from.stat().st_mtime,
            "progress": status.get("progress", 0.0), "error": status.get("error"), "queue_position": None,
            "eta_seconds": None, "accuracy": status.get("accuracy"), "run_dir": str(run_dir)}

"""The run directory (see DESIGN.md, "Run directory"), <home>/runs/<user>/<task>/: the one module that knows
its layout. The file names, the atomic write, the log-line format, the status writes and the task record built
from a folder all live here; training (runtime/training.py), the task service, recovery, the command line and
the app go through it. Reading is tolerant of a run being written: a half-written last line is skipped and a
file that is not there yet reads as empty. Pure: no Paddle, so the web app reads runs without importing it."""
from __future__ import annotations

import json
import os
import re
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

# -- the layout -----------------------------------------------------------------------------------------
GRAPH = "graph.json"          # what was submitted (never rewritten)
SCRIPT = "train.py"           # what ran (never rewritten); prediction imports its eval_transform
TASK = "task.json"            # what the submit said beyond the graph: task name, assignment
STATUS = "status.json"        # state, epoch, progress, error: rewritten whole while the task lives
METRICS = "metrics.jsonl"     # one JSON object a line: kind step / epoch / test, each with a time
LOG = "log.txt"               # the training log plus the service's lines, in log_line()'s format
REPORT = "report.json"        # the test report: accuracy, per-class figures, confusion matrix
TEST_PREDICTIONS = "test_predictions.npz"
MISCLASSIFIED_DIR = "misclassified"  # <index>_<label>_as_<predicted>.png
CHECKPOINTS = "checkpoints"   # enough to resume: the files below
CHECKPOINT_STATE = "state.json"       # written last: a checkpoint counts once this names its epoch
CHECKPOINT_MODEL = "model.pdparams"
CHECKPOINT_OPTIMIZER = "optimizer.pdopt"
CHECKPOINT_BEST = "best.pdparams"     # the weights with the best validation accuracy so far
MODEL = "model"               # the exported model: all that prediction needs besides train.py
MODEL_PREFIX = "inference"    # paddle.jit.save prefix inside MODEL
MODEL_META = "meta.json"      # classes, image shape, input shape (inside MODEL)
MODEL_PROGRAM = MODEL_PREFIX + ".json"        # the saved program (inside MODEL)
MODEL_PARAMS = MODEL_PREFIX + ".pdiparams"    # the trained weights (inside MODEL)

FINAL_STATES = ("succeeded", "failed", "stopped")  # status.json states after which nothing runs


def checkpoint(run_dir: Path, name: str) -> Path:
    return Path(run_dir) / CHECKPOINTS / name


def model_path(run_dir: Path, name: str = MODEL_META) -> Path:
    return Path(run_dir) / MODEL / name


# -- writing ----------------------------------------------------------------------------------------------
PRIVATE_FILE, PRIVATE_DIR = 0o600, 0o700  # runs hold students' work: the instance's own user only


def atomic_write(path: Path, data: str | bytes, mode: int | None = None) -> None:
    """Write a file whole or not at all (a temporary file beside it, then a rename), so a reader never sees
    half of it. `mode` sets the permission bits; without it an existing file keeps its own and a new one is
    PRIVATE_FILE, whatever the umask of the process writing it (the app, the CLI or a worker)."""
    path = Path(path)
    if mode is None:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except OSError:
            mode = PRIVATE_FILE
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data.encode("utf-8") if isinstance(data, str) else data)
    if mode is not None:
        os.chmod(tmp, mode)  # the umask may have narrowed it; an explicit mode is meant as given
    os.replace(tmp, path)


def log_line(message: str) -> str:
    """The log's one line format, shared by training and the service: `HH:MM:SS message`."""
    return f"{time.strftime('%H:%M:%S')} {message}"


def open_append(path: Path):
    """A text file opened for appending; created PRIVATE_FILE if new."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE), "a", encoding="utf-8")


def append_log(run_dir: Path, message: str) -> None:
    """A line in log.txt, for what happens outside training (queued, stopped, retried, failed)."""
    if Path(run_dir).is_dir():
        with open_append(Path(run_dir) / LOG) as log:
            log.write(log_line(message) + "\n")


def metric_record(kind: str, **values) -> str:
    """One line of metrics.jsonl (without its newline)."""
    return json.dumps({"kind": kind, "time": round(time.time(), 3), **values})


def append_metric(run_dir: Path, kind: str, **values) -> None:
    with open_append(Path(run_dir) / METRICS) as out:
        out.write(metric_record(kind, **values) + "\n")


def write_status(run_dir: Path, state: str, *, merge: bool = True, **fields) -> None:
    """Set status.json's state and fields. `merge` keeps what is there (the service keeps the epoch and
    progress training recorded; an error goes unless the state is failed); training writes it whole."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        return
    status = read_status(run_dir) if merge else {}
    if state != "failed":
        status.pop("error", None)
    status.update(fields, state=state, updated=round(time.time(), 3))
    atomic_write(run_dir / STATUS, json.dumps(status))


# -- reading ----------------------------------------------------------------------------------------------
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
    return _json(Path(run_dir) / STATUS) or {}


def read_report(run_dir: Path) -> dict | None:
    return _json(Path(run_dir) / REPORT)


def read_task(run_dir: Path) -> dict:
    """What the submit said beyond the graph (task name, assignment); {} for runs that were not tasks."""
    task = _json(Path(run_dir) / TASK)
    return task if isinstance(task, dict) else {}


def read_graph(run_dir: Path) -> dict | None:
    return _json(Path(run_dir) / GRAPH)


def read_metrics(run_dir: Path) -> Metrics:
    metrics = Metrics()
    try:
        text = (Path(run_dir) / METRICS).read_text(encoding="utf-8")
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
    return tail(Path(run_dir) / LOG, lines).removesuffix("\n")


@dataclass
class Misclassified:
    path: Path
    label: str
    predicted: str


def misclassified(run_dir: Path, limit: int = 32) -> list[Misclassified]:
    """The test images the model got wrong (saved by the run as `<index>_<label>_as_<predicted>.png`)."""
    folder = Path(run_dir) / MISCLASSIFIED_DIR
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.png"))[:limit]:
        match = MISCLASSIFIED.match(path.name)
        if match:
            out.append(Misclassified(path, match["label"], match["predicted"]))
    return out


def task_record(run_dir: Path, user: str) -> dict:
    """A task record (the shape `dragdl_core.tasks.list_tasks` returns) built from the directory alone: for
    runs the service does not know (shown read-only) and for records rebuilt after Redis lost its data."""
    run_dir = Path(run_dir)
    status, graph = read_status(run_dir), read_graph(run_dir) or {}
    task = read_task(run_dir)
    created_from = run_dir / GRAPH if (run_dir / GRAPH).exists() else run_dir
    created = created_from.stat().st_mtime
    state = status.get("state", "queued")
    graph_name = str(graph.get("name") or run_dir.name)[:200]
    accuracy = status.get("accuracy")
    if state == "succeeded":
        accuracy = (read_report(run_dir) or {}).get("accuracy", accuracy)
    return {"id": run_dir.name, "user": user, "name": str(task.get("name") or graph_name)[:200],
            "graph_name": graph_name, "assignment": task.get("assignment"), "state": state,
            "created": created,
            "finished": (status.get("updated") or created) if state in FINAL_STATES else None,
            "progress": 1.0 if state == "succeeded" else status.get("progress", 0.0),
            "error": status.get("error"), "queue_position": None, "eta_seconds": None,
            "accuracy": accuracy, "epoch": status.get("epoch"), "epochs": status.get("epochs"),
            "run_dir": str(run_dir), "sweep": task.get("sweep")}

"""A task's run directory, <home>/runs/<user>/<task_id>/: creating it, its status.json, its log.

status.json mirrors the task's state for readers that only see files (the monitor, a student's download);
the Redis record is the index. The training run writes status.json while it runs; the service writes it
when a task is queued, stopped or fails outside training, always keeping the fields training put there."""
from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

from .. import config
from ..rundir import read_status, tail  # noqa: F401  (the readers, shared with the app)
from ..users import USERNAME, USERNAME_RULE
from .errors import InvalidUser

USER_PATTERN = re.compile(USERNAME.pattern, re.IGNORECASE)  # run folders keep the case a caller gave


def check_user(user) -> str:
    """A user name is a folder name: letters, digits and . _ @ - (no path tricks), at most 64 characters."""
    if not isinstance(user, str) or not USER_PATTERN.fullmatch(user) or ".." in user:
        raise InvalidUser(f"invalid user name {user!r}: {USERNAME_RULE}")
    return user


def path_for(user: str, task_id: str) -> Path:
    return config.runs_dir() / check_user(user) / task_id


def create(run_dir: Path, graph_json: str, script: str, task: dict | None = None) -> None:
    """graph.json, train.py and task.json (never rewritten afterwards) and a queued status.json, in a new
    folder. task.json keeps what the submit said beyond the graph (task name, assignment), so a record lost
    with Redis's data can be rebuilt whole (recovery.py)."""
    run_dir.mkdir(parents=True, exist_ok=False)
    (run_dir / "graph.json").write_text(graph_json, encoding="utf-8")
    (run_dir / "train.py").write_text(script, encoding="utf-8")
    (run_dir / "task.json").write_text(json.dumps(task or {}), encoding="utf-8")
    write_status(run_dir, "queued", progress=0.0)


def remove(run_dir: Path) -> None:
    """Delete a run directory, refusing anything that is not a task folder under the runs directory."""
    runs = config.runs_dir().resolve()
    target = run_dir.resolve()
    if target.parent.parent != runs:
        raise ValueError(f"refusing to delete {target}: not a run directory under {runs}")
    shutil.rmtree(target, ignore_errors=True)


def write_status(run_dir: Path, state: str, **fields) -> None:
    """Set the state (and fields such as error) keeping what training recorded (epoch, epochs, progress)."""
    if not run_dir.is_dir():
        return
    status = read_status(run_dir)
    if state != "failed":
        status.pop("error", None)
    status.update(fields, state=state, updated=round(time.time(), 3))
    tmp = run_dir / "status.json.tmp"
    tmp.write_text(json.dumps(status), encoding="utf-8")
    os.replace(tmp, run_dir / "status.json")


def append_log(run_dir: Path, message: str) -> None:
    """A line in log.txt in the training log's own format, for what happens outside training."""
    if run_dir.is_dir():
        with open(run_dir / "log.txt", "a", encoding="utf-8") as log:
            log.write(f"{time.strftime('%H:%M:%S')} {message}\n")

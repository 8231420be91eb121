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
    run_dir.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    for folder in (run_dir.parent.parent, run_dir.parent):  # runs/ and runs/<user>/: the instance's user only
        os.chmod(folder, 0o700)
    run_dir.mkdir(mode=0o700, exist_ok=False)
    _write_private(run_dir / "graph.json", graph_json)
    _write_private(run_dir / "train.py", script)
    _write_private(run_dir / "task.json", json.dumps(task or {}))
    write_status(run_dir, "queued", progress=0.0)


def _write_private(path: Path, text: str) -> None:
    """A file only the instance's own user can read, whatever the umask of the process writing it."""
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as out:
        out.write(text)


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
    _write_private(tmp, json.dumps(status))
    os.replace(tmp, run_dir / "status.json")


def append_log(run_dir: Path, message: str) -> None:
    """A line in log.txt in the training log's own format, for what happens outside training."""
    if run_dir.is_dir():
        with os.fdopen(os.open(run_dir / "log.txt", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "a",
                       encoding="utf-8") as log:
            log.write(f"{time.strftime('%H:%M:%S')} {message}\n")

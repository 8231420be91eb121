"""Where the service keeps a task's run directory, <home>/runs/<user>/<task_id>/: checking the user name that
becomes a folder, creating the folder at submit and removing it at delete. What goes inside, and how, is
`dragdl_core.rundir`'s (status.json mirrors the task's state for readers that only see files; the Redis
record is the index)."""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

from .. import config, rundir
from ..classroom.users import USERNAME, USERNAME_RULE
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
    """graph.json, train.py and task.json (never rewritten afterwards) and a queued status, in a new folder.
    task.json keeps what the submit said beyond the graph (task name, assignment), so a record lost with
    Redis's data can be rebuilt whole (recovery.py)."""
    run_dir.parent.mkdir(mode=rundir.PRIVATE_DIR, parents=True, exist_ok=True)
    for folder in (run_dir.parent.parent, run_dir.parent):  # runs/ and runs/<user>/: the instance's user only
        os.chmod(folder, rundir.PRIVATE_DIR)
    run_dir.mkdir(mode=rundir.PRIVATE_DIR, exist_ok=False)
    rundir.atomic_write(run_dir / rundir.GRAPH, graph_json)
    rundir.atomic_write(run_dir / rundir.SCRIPT, script)
    rundir.atomic_write(run_dir / rundir.TASK, json.dumps(task or {}))
    rundir.write_status(run_dir, "queued", progress=0.0)


def remove(run_dir: Path) -> None:
    """Delete a run directory, refusing anything that is not a task folder under the runs directory."""
    runs = config.runs_dir().resolve()
    target = run_dir.resolve()
    if target.parent.parent != runs:
        raise ValueError(f"refusing to delete {target}: not a run directory under {runs}")
    shutil.rmtree(target, ignore_errors=True)

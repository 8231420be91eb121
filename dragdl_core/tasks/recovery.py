"""Task records rebuilt from the run directories, for when Redis's data is gone: deleted by hand, or a class
moved to another Redis (REDIS_URL). The run directories are the lasting truth of what ran: each
<home>/runs/<user>/<task id>/ with a graph.json becomes a task again. A finished task keeps its state,
accuracy and times, and its name and assignment (task.json); one that was queued or running when its record was lost is marked failed, so `retry`
resumes it from its last checkpoint. Folders not named like a task id (runs trained with `python -m
dragdl_core run --run-dir ...`) stay read-only runs, as the app shows them. Idempotent: known tasks are
left alone."""
from __future__ import annotations

import logging
import re
import time
from pathlib import Path

from .. import config
from .. import rundir
from . import folders, jobs
from .connection import reachable
from .errors import InvalidUser
from .store import FINAL_STATES, TaskStore

log = logging.getLogger("dragdl.recovery")
TASK_ID = re.compile(r"[0-9a-f]{16}")  # secrets.token_hex(8), as service.submit makes them
SETTLING_S = 60  # a folder this fresh may be a submit whose record is being written right now


def _record(run_dir: Path, user: str) -> dict:
    """The folder's task record; a task that was queued or running when its record was lost is failed."""
    status = rundir.read_status(run_dir)
    if status.get("state") not in FINAL_STATES:
        error = (f"its task record was lost with Redis's data while it was {status.get('state') or 'queued'}; "
                 "retry resumes from the last finished epoch")
        rundir.write_status(run_dir, "failed", error=error)
    record = rundir.task_record(run_dir, user)
    record["finished"] = status.get("updated") or record["created"]  # when it last changed before the loss
    if record["state"] != "succeeded":
        record["accuracy"] = None
    for key in ("queue_position", "eta_seconds"):
        del record[key]
    return dict(record, attempts=1, job_id=jobs.job_id(run_dir.name, 1))


def _settled(run_dir: Path) -> bool:
    """A task folder with a graph.json that is finished, or old enough not to be a submit in flight."""
    graph = run_dir / rundir.GRAPH
    if not graph.is_file():
        return False
    return (rundir.read_status(run_dir).get("state") in FINAL_STATES
            or time.time() - graph.stat().st_mtime >= SETTLING_S)


def recover() -> list[str]:
    """Create a record for every task folder under the runs directory that Redis does not know; returns
    their ids. Run by `up` before the workers start, and by `tasks recover`."""
    runs = config.runs_dir()
    if not runs.is_dir():
        return []
    recovered = []
    with reachable():
        store = TaskStore()
        known = set(store.ids())
        for user_dir in sorted(runs.iterdir()):
            try:
                user = folders.check_user(user_dir.name)
            except InvalidUser:  # not a user's folder: leave it alone
                continue
            if not user_dir.is_dir():
                continue
            for run_dir in sorted(user_dir.iterdir()):
                if run_dir.name in known or not TASK_ID.fullmatch(run_dir.name):
                    continue
                try:
                    if not _settled(run_dir):
                        continue
                    record = _record(run_dir, user)
                except OSError as err:  # unreadable: the others are still worth recovering
                    log.warning("run directory %s not recovered: %s", run_dir, err)
                    continue
                store.create(record)
                recovered.append(run_dir.name)
    return recovered

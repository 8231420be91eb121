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
from ..rundir import read_graph, read_report, read_task
from . import jobs, rundir
from .connection import reachable
from .errors import InvalidUser
from .store import FINAL_STATES, TaskStore

log = logging.getLogger("dragdl.recovery")
TASK_ID = re.compile(r"[0-9a-f]{16}")  # secrets.token_hex(8), as service.submit makes them
SETTLING_S = 60  # a folder this fresh may be a submit whose record is being written right now


def _record(run_dir: Path, user: str) -> dict:
    status, graph = rundir.read_status(run_dir), read_graph(run_dir) or {}
    created = (run_dir / "graph.json").stat().st_mtime
    state, error = status.get("state"), status.get("error")
    if state not in FINAL_STATES:
        error = (f"its task record was lost with Redis's data while it was {state or 'queued'}; retry resumes "
                 "from the last finished epoch")
        rundir.write_status(run_dir, "failed", error=error)
        state = "failed"
    report, task = read_report(run_dir) or {}, read_task(run_dir)
    graph_name = str(graph.get("name") or run_dir.name)[:200]
    return {"id": run_dir.name, "user": user, "name": str(task.get("name") or graph_name)[:200],
            "graph_name": graph_name, "assignment": task.get("assignment"), "state": state,
            "created": created, "finished": status.get("updated") or created, "run_dir": str(run_dir),
            "attempts": 1, "job_id": jobs.job_id(run_dir.name, 1), "error": error,
            "progress": 1.0 if state == "succeeded" else status.get("progress", 0.0),
            "accuracy": report.get("accuracy") if state == "succeeded" else None,
            "epoch": status.get("epoch"), "epochs": status.get("epochs")}


def _settled(run_dir: Path) -> bool:
    """A task folder with a graph.json that is finished, or old enough not to be a submit in flight."""
    graph = run_dir / "graph.json"
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
                user = rundir.check_user(user_dir.name)
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

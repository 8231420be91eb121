"""Tasks as a user sees them, in the app and on the command line alike: the service's records plus the runs
on disk it does not know (`<home>/runs/<user>/<name>/`, trained with `python -m dragdl_core run GRAPH
--run-dir ...`), which are read-only. One place for the merge, so `tasks list` and the browser agree."""
from __future__ import annotations

from pathlib import Path

from .. import config, rundir
from . import access, folders, service
from .connection import redis_url
from .errors import InvalidUser, ServiceUnavailable, TaskNotFound


def _owners(user: str | None, actor) -> list[str]:
    """The users whose run folders a listing may show: the one asked for (as the access rules allow), or
    every user's for a trusted caller or an instructor."""
    user = access.owner_filter(access.resolve(actor), user)
    if user is not None:
        return [folders.check_user(user)]
    runs = config.runs_dir()
    owners = []
    for folder in sorted(runs.iterdir()) if runs.is_dir() else []:
        try:
            owners.append(folders.check_user(folder.name))
        except InvalidUser:  # not a user's folder
            continue
    return owners


def disk_runs(user: str | None, *, actor=None) -> dict[str, dict]:
    """Every run folder of the user (all users when None and the actor may see them), as read-only records."""
    found = {}
    for owner in _owners(user, actor):
        folder = config.runs_dir() / owner
        if folder.is_dir():
            found.update({d.name: dict(rundir.task_record(d, owner), read_only=True)
                          for d in folder.iterdir() if d.is_dir()})
    return found


def list_tasks(user: str | None = None, *, actor=None, offline: bool = False) -> list[dict]:
    """The tasks newest first: the service's, over the runs on disk it does not know. While Redis is not
    reachable, `offline=True` gives the runs on disk alone (the app keeps showing them); otherwise the
    ServiceUnavailable is raised (the command line says so in one line)."""
    tasks = disk_runs(user, actor=actor)
    try:
        redis_url()  # cheap: says whether Redis was started, without waiting for it
        tasks.update({t["id"]: t for t in service.list_tasks(user, actor=actor)})
    except ServiceUnavailable:
        if not offline:
            raise
    return sorted(tasks.values(), key=lambda t: t.get("created") or 0, reverse=True)


def status(task_id: str, user: str, *, actor=None) -> dict:
    """The service's status of a task, or the record of the user's run folder of that name when the service
    does not know it (or is not reachable)."""
    try:
        redis_url()
        return service.status(task_id, actor=actor)
    except (TaskNotFound, ServiceUnavailable):
        pass
    return rundir.task_record(_disk_run(task_id, user, actor), user)


def _disk_run(task_id: str, user: str, actor) -> Path:
    owner = _owners(user, actor)[0]
    folder = config.runs_dir() / owner
    path = folder / task_id
    if path.parent != folder or task_id in ("", ".", "..") or not path.is_dir():
        raise TaskNotFound(task_id)
    return path


def logs(task_id: str, user: str, tail: int = 200, *, actor=None) -> str:
    try:
        redis_url()
        return service.logs(task_id, tail=tail, actor=actor)
    except (TaskNotFound, ServiceUnavailable):
        pass
    return rundir.log_tail(Path(status(task_id, user, actor=actor)["run_dir"]), tail)

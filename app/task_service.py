"""The app's one door to the task service, `dragdl_core.tasks`, whose API the pages use as is.

Runs already on disk that the service does not know (`<home>/runs/<user>/<id>/`, written e.g. by
`python -m dragdl_core run GRAPH --run-dir ...`) are shown too, read-only; so are all runs while Redis is
not reachable, and every action that needs the queue then says so instead of failing."""
from __future__ import annotations

from pathlib import Path

from app.session import current_actor  # every call acts for the signed-in user: the service checks them
from dragdl_core import config, rundir
from dragdl_core import tasks as _service
from dragdl_core.tasks import InvalidGraph, ServiceUnavailable, TaskError, TaskNotFound  # noqa: F401  (for pages)

ACTIVE_STATES = ("queued", "running")


def problem() -> str | None:
    """Why tasks cannot be submitted or controlled right now (Redis is not started), or None.
    Cheap: it does not wait for Redis; a server that does not answer shows up as ServiceUnavailable."""
    try:
        _service.redis_url()
    except ServiceUnavailable as err:
        return str(err)
    return None


STUDENT_PROBLEM = "Training is not available right now (the task service is not running): tell your instructor."


def problem_for(actor) -> str | None:
    """problem() worded for who is looking: an instructor gets the service's own message (its command,
    its files); a student one line to act on, without server paths or commands."""
    reason = problem()
    if reason is None or actor.is_instructor:
        return reason
    return STUDENT_PROBLEM


def available() -> bool:
    return problem() is None


def _require():
    reason = problem()
    if reason:
        raise ServiceUnavailable(reason)
    return _service


def submit(graph: dict, user: str, assignment: str | None = None) -> str:
    return _require().submit(graph, user, actor=current_actor(), assignment=assignment)


def stop(task_id: str) -> None:
    _require().stop(task_id, actor=current_actor())


def retry(task_id: str) -> None:
    _require().retry(task_id, actor=current_actor())


def delete(task_id: str) -> None:
    _require().delete(task_id, actor=current_actor())


def all_tasks(actor) -> list[dict]:
    """Every user's tasks, newest first, for an instructor (the service gives a student only their own)."""
    return _require().list_tasks(None, actor=actor)


def queue_status(actor) -> dict:
    """Queued and running counts and each worker's state and task (instructors)."""
    return _require().queue_status(actor=actor)


def _user_runs(user: str) -> Path:
    return config.runs_dir() / user


def _disk_runs(user: str) -> dict[str, dict]:
    folder = _user_runs(user)
    if not folder.is_dir():
        return {}
    return {d.name: dict(rundir.describe(d, user), read_only=True) for d in folder.iterdir() if d.is_dir()}


def list_tasks(user: str) -> list[dict]:
    """The user's tasks, newest first: the service's, plus runs on disk it does not know (trained with
    `python -m dragdl_core run ... --run-dir <home>/runs/<user>/<name>`), which are read-only."""
    tasks = _disk_runs(user)
    if available():
        try:
            tasks.update({t["id"]: t for t in _service.list_tasks(user, actor=current_actor())})
        except ServiceUnavailable:
            pass  # Redis went away: the pages say so (problem()), the runs on disk still show
    return sorted(tasks.values(), key=lambda t: t.get("created") or 0, reverse=True)


def finished_tasks(user: str) -> list[dict]:
    """The user's tasks that produced a model (succeeded), newest first."""
    return [t for t in list_tasks(user) if t["state"] == "succeeded"]


def status(task_id: str, user: str) -> dict:
    if available():
        try:
            return _service.status(task_id, actor=current_actor())
        except (TaskNotFound, ServiceUnavailable):
            pass
    path = _user_runs(user) / task_id
    if path.parent != _user_runs(user) or task_id in ("", ".", "..") or not path.is_dir():
        raise TaskNotFound(task_id)
    return rundir.describe(path, user)


def run_dir(task_id: str, user: str) -> Path:
    return Path(status(task_id, user)["run_dir"])


def logs(task_id: str, user: str, tail: int = 200) -> str:
    if available():
        try:
            return _service.logs(task_id, tail=tail, actor=current_actor())
        except (TaskNotFound, ServiceUnavailable):
            pass
    return rundir.log_tail(run_dir(task_id, user), tail)

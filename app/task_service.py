"""The app's one door to the task service, `dragdl_core.tasks` (issue 4), whose API the pages use as is.

Until that module is installed, the app still shows runs already on disk (`<home>/runs/<user>/<id>/`,
written e.g. by `python -m dragdl_core run GRAPH --run-dir ...`) read-only, and every action that needs
the queue says so instead of failing obscurely."""
from __future__ import annotations

from pathlib import Path

from dragdl_core import config, rundir

try:
    from dragdl_core import tasks as _service
except ImportError:  # the task service is not in this checkout yet
    _service = None

ACTIVE_STATES = ("queued", "running")


class ServiceUnavailable(RuntimeError):
    """The queue is needed but dragdl_core.tasks is not installed."""


class _InvalidGraph(ValueError):
    def __init__(self, errors):
        super().__init__("; ".join(e["message"] for e in errors))
        self.errors = errors


class _TaskNotFound(KeyError):
    pass


InvalidGraph = getattr(_service, "InvalidGraph", _InvalidGraph)
TaskNotFound = getattr(_service, "TaskNotFound", _TaskNotFound)
UNAVAILABLE = ("the task service (dragdl_core.tasks) is not installed in this checkout, so tasks cannot be "
               "submitted or controlled; runs already on disk are shown read-only")


def available() -> bool:
    return _service is not None


def _require():
    if _service is None:
        raise ServiceUnavailable(UNAVAILABLE)
    return _service


def submit(graph: dict, user: str) -> str:
    return _require().submit(graph, user)


def stop(task_id: str) -> None:
    _require().stop(task_id)


def retry(task_id: str) -> None:
    _require().retry(task_id)


def delete(task_id: str) -> None:
    _require().delete(task_id)


def _user_runs(user: str) -> Path:
    return config.runs_dir() / user


def list_tasks(user: str) -> list[dict]:
    """The user's tasks, newest first."""
    if _service is not None:
        tasks = _service.list_tasks(user)
    else:
        folder = _user_runs(user)
        tasks = [rundir.describe(d, user) for d in folder.iterdir() if d.is_dir()] if folder.is_dir() else []
    return sorted(tasks, key=lambda t: t.get("created") or 0, reverse=True)


def status(task_id: str, user: str) -> dict:
    if _service is not None:
        return _service.status(task_id)
    path = _user_runs(user) / task_id
    if path.parent != _user_runs(user) or task_id in ("", ".", "..") or not path.is_dir():
        raise TaskNotFound(task_id)
    return rundir.describe(path, user)


def run_dir(task_id: str, user: str) -> Path:
    if _service is not None:
        return Path(_service.run_dir(task_id))
    return Path(status(task_id, user)["run_dir"])


def logs(task_id: str, user: str, tail: int = 200) -> str:
    if _service is not None:
        return _service.logs(task_id, tail=tail)
    return rundir.log_tail(run_dir(task_id, user), tail)

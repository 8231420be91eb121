"""The app's one door to the task service, `dragdl_core.tasks`, whose API the pages use as is.

Runs already on disk that the service does not know are shown too, read-only, as `tasks list` shows them
(`dragdl_core.tasks.listing`); so are all runs while Redis is not reachable, and every action that needs
the queue then says so instead of failing."""
from __future__ import annotations

from pathlib import Path

from app.session import current_actor  # every call acts for the signed-in user: the service checks them
from dragdl_core import tasks as _service
from dragdl_core.tasks import listing
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


def message_for(err: TaskError, actor) -> str:
    """A task error worded for who is looking: a lost task service names its Redis URL and the command that
    starts it, which only an instructor can use; a student gets STUDENT_PROBLEM instead."""
    if isinstance(err, ServiceUnavailable) and not actor.is_instructor:
        return STUDENT_PROBLEM
    return str(err)


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


def list_tasks(user: str) -> list[dict]:
    """The user's tasks, newest first, as `tasks list --user` shows them (dragdl_core.tasks.listing); while
    Redis is away, the runs on disk alone."""
    return listing.list_tasks(user, actor=current_actor(), offline=True)


def finished_tasks(user: str) -> list[dict]:
    """The user's tasks that produced a model (succeeded), newest first."""
    return [t for t in list_tasks(user) if t["state"] == "succeeded"]


def status(task_id: str, user: str) -> dict:
    return listing.status(task_id, user, actor=current_actor())


def run_dir(task_id: str, user: str) -> Path:
    return Path(status(task_id, user)["run_dir"])


def logs(task_id: str, user: str, tail: int = 200) -> str:
    return listing.logs(task_id, user, tail, actor=current_actor())


def sweep_results(sweep_id: str, user: str) -> list[dict]:
    """A sweep's tasks with their varied values and best validation accuracy, best first (Optuna told of the
    finished trials first), as `tasks list --sweep` shows them."""
    from dragdl_core.tasks import sweeps

    members = [t for t in list_tasks(user) if t.get("sweep") == sweep_id]
    try:
        sweeps.sync(sweep_id, members)
    except Exception:  # noqa: BLE001 - a study that cannot be updated still leaves the table to show
        pass
    return sweeps.results(sweep_id, members)


def submit_sweep(graph: dict, user: str, varies: list[str], assignment: str | None = None, **options) -> dict:
    from dragdl_core.tasks import sweeps

    _require()
    return sweeps.submit_sweep(graph, user, varies, actor=current_actor(), assignment=assignment, **options)

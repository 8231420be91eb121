"""What can go wrong when asking the task service for something. Every error carries one clear line."""
from __future__ import annotations

from ..classroom.access import AccessDenied


class TaskError(Exception):
    """Base class: a request the service refused; str(err) says why in one line."""


class InvalidGraph(TaskError):
    """The graph was refused at submit; `.errors` is the validation list (node, field, code, message)."""

    def __init__(self, errors: list[dict]):
        self.errors = errors
        first = errors[0]["message"] if errors else "invalid graph"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"invalid graph: {first}{more}")


class InvalidUser(TaskError):
    """A user name that cannot name a folder under runs/."""


class TaskNotFound(TaskError, KeyError):
    def __init__(self, task_id: str):
        self.task_id = task_id
        super().__init__(f"no task {task_id!r}")

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


class TaskConflict(TaskError):
    """The task is in a state that does not allow the operation (retry a running task, ...)."""


class Forbidden(TaskError, AccessDenied):
    """The acting user may not do this (dragdl_core.classroom.access decides); the message names the action and the
    task, never the other user."""


class LimitExceeded(TaskError):
    """Over a class limit (tasks queued and running per user); the message names the limit."""


class ServiceUnavailable(TaskError):
    """Redis cannot be reached: the service is not started, or REDIS_URL points nowhere."""

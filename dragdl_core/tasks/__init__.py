"""The asynchronous task service: submitted graphs become tasks on an RQ queue in Redis, run by workers.

    from dragdl_core import tasks
    task_id = tasks.submit(graph, user="ada")      # InvalidGraph(.errors) when the graph is not valid
    tasks.list_tasks("ada"); tasks.status(task_id); tasks.logs(task_id)
    tasks.stop(task_id); tasks.retry(task_id); tasks.delete(task_id); tasks.run_dir(task_id)

Only this package and the workers touch RQ and Redis. Every call takes an optional `actor=` (the signed-in
user acting); access.check() is the one place that decides what an actor may do."""
from .connection import connection, redis_url
from .errors import (Forbidden, InvalidGraph, InvalidUser, ServiceUnavailable, TaskConflict, TaskError,
                     TaskNotFound)
from .service import delete, list_tasks, logs, retry, run_dir, status, stop, submit
from .store import FINAL_STATES, STATES

__all__ = ["submit", "list_tasks", "status", "stop", "retry", "delete", "logs", "run_dir", "connection",
           "redis_url", "STATES", "FINAL_STATES", "TaskError", "InvalidGraph", "InvalidUser", "TaskNotFound",
           "TaskConflict", "Forbidden", "ServiceUnavailable"]

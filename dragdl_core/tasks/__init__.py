"""The asynchronous task service: submitted graphs become tasks on an RQ queue in Redis, run by workers.

    from dragdl_core import tasks
    task_id = tasks.submit(graph, user="ada")      # InvalidGraph(.errors) when the graph is not valid
    tasks.list_tasks("ada"); tasks.status(task_id); tasks.logs(task_id)
    tasks.stop(task_id); tasks.retry(task_id); tasks.delete(task_id); tasks.run_dir(task_id)

Only this package and the workers touch RQ and Redis. Every call takes an optional `actor=` (the signed-in
user acting: an Actor or a user name; None = trusted); dragdl_core.classroom.access decides what an actor may do. The
queue is kept in fair order across users (fair_queue.py)."""
from .connection import connection, redis_url
from .errors import (Forbidden, InvalidGraph, InvalidUser, LimitExceeded, ServiceUnavailable, TaskConflict,
                     TaskError, TaskNotFound)
from .service import delete, list_tasks, logs, queue_status, retry, run_dir, status, stop, submit
from .store import FINAL_STATES, STATES

__all__ = ["submit", "list_tasks", "status", "stop", "retry", "delete", "logs", "run_dir", "queue_status",
           "connection",
           "redis_url", "STATES", "FINAL_STATES", "TaskError", "InvalidGraph", "InvalidUser", "TaskNotFound",
           "TaskConflict", "Forbidden", "LimitExceeded", "ServiceUnavailable"]

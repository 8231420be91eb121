"""The RQ side of a task: one job per attempt on the `dragdl` queue, running execution.run_task."""
from __future__ import annotations

from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job

from .connection import connection

QUEUE_NAME = "dragdl"
RUN_TASK = "dragdl_core.tasks.execution.run_task"
# RQ's own per-job timeout is only a backstop: the worker enforces the configured wall-time cap itself
# (caps.py) and says so in the task's error. RQ wants a whole number of seconds.
BACKSTOP_TIMEOUT_S = 30 * 24 * 3600
RESULT_TTL_S = 3600  # RQ's job hashes may expire; the task record does not


def queue() -> Queue:
    return Queue(QUEUE_NAME, connection=connection())


def job_id(task_id: str, attempt: int) -> str:
    return f"{task_id}-{attempt}"


def enqueue(task_id: str, attempt: int) -> str:
    job = queue().enqueue(RUN_TASK, task_id, attempt, job_id=job_id(task_id, attempt),
                          job_timeout=BACKSTOP_TIMEOUT_S, result_ttl=RESULT_TTL_S, failure_ttl=RESULT_TTL_S,
                          description=f"task {task_id} attempt {attempt}")
    return job.id


def discard(job_ids) -> None:
    """Take jobs out of the queue and forget them (a stopped or deleted task's queued attempt)."""
    conn = connection()
    for jid in filter(None, job_ids):
        try:
            Job.fetch(jid, connection=conn).delete(remove_from_queue=True)
        except NoSuchJobError:
            pass


def positions() -> dict[str, int]:
    """Job id -> place in the queue, 1 = next to start."""
    return {jid: i for i, jid in enumerate(queue().get_job_ids(), start=1)}


def status(jid: str) -> str | None:
    """RQ's status of a job, or None when RQ no longer knows it."""
    try:
        return Job.fetch(jid, connection=connection()).get_status(refresh=False)
    except NoSuchJobError:
        return None


def worker_count() -> int:
    from rq import Worker

    return Worker.count(connection=connection(), queue=queue())


PAUSED_KEY = "dragdl:worker_paused:"  # + worker name -> why it takes no task (expires: a dead worker's goes)
PAUSED_TTL_S = 30


def mark_paused(conn, name: str, reason: str | None) -> None:
    """A worker says why it takes no task now (the host is busy), or that it takes tasks again (None)."""
    if reason:
        conn.set(PAUSED_KEY + name, reason, ex=PAUSED_TTL_S)
    else:
        conn.delete(PAUSED_KEY + name)


def workers() -> list[dict]:
    """The workers serving the queue: name, RQ state (idle, busy, paused, ...) and, for a worker that takes
    no task, why (`paused`: e.g. "host busy: memory in use 93% is above 90%"), by name."""
    from rq import Worker

    conn = connection()
    found = Worker.all(connection=conn, queue=queue())
    reasons = conn.mget([PAUSED_KEY + w.name for w in found]) if found else []
    return sorted(({"name": w.name, "state": w.get_state(),
                    "paused": reason.decode() if isinstance(reason, bytes) else reason}
                   for w, reason in zip(found, reasons)), key=lambda w: w["name"])

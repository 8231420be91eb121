"""State changes made by workers and supervisors: start, heartbeat, finish, requeue, and clearing up after
a worker that died. Each change is one compare-and-set on the record, then the run directory is told."""
from __future__ import annotations

import time
from pathlib import Path

from .. import rundir
from . import caps, fair_queue, jobs
from .store import TaskStore, now

_CLEARED_ON_QUEUE = ("started", "finished", "worker", "heartbeat", "error", "stop_requested", "accuracy")


def start(store: TaskStore, task_id: str, attempt: int, worker: str) -> dict | None:
    """Claim a queued task for `worker`; None when it was stopped, deleted or re-submitted meanwhile."""
    claimed = store.transition(task_id, ["queued"], "running", where={"job_id": jobs.job_id(task_id, attempt)},
                               started=now(), heartbeat=now(), worker=worker)
    return store.get(task_id) if claimed else None


def heartbeat(store: TaskStore, task_id: str, worker: str) -> dict | None:
    """Mark the task alive; returns the record (None when it is no longer this worker's running task)."""
    if store.transition(task_id, ["running"], where={"worker": worker}, heartbeat=now()):
        return store.get(task_id)
    return None


def finish(store: TaskStore, record: dict, state: str, error: str | None = None, *,
           worker: str | None = None) -> bool:
    """Move a running task to a final state, copying its progress and accuracy from status.json. The run
    directory is told first, so whoever sees the final state in Redis also finds it in the files."""
    current = store.get(record["id"])
    if not current or current["state"] != "running" or (worker and current.get("worker") != worker):
        return False
    run_dir = Path(record["run_dir"])
    status = rundir.read_status(run_dir)
    if state != "succeeded" or status.get("state") != "succeeded":  # training wrote its own success
        rundir.write_status(run_dir, state, **({"error": error} if error else {}))
    if error:
        rundir.append_log(run_dir, f"task {state}: {error}")
    elif state == "stopped":
        rundir.append_log(run_dir, "task stopped on request; metrics, log and checkpoints are kept")
    succeeded = state == "succeeded"
    done = store.transition(record["id"], ["running"], state, where={"worker": worker} if worker else None,
                            finished=now(), error=error, progress=1.0 if succeeded else status.get("progress", 0.0),
                            accuracy=status.get("accuracy") if succeeded else None, epoch=status.get("epoch"),
                            epochs=status.get("epochs"), unset=("stop_requested",))
    if done and succeeded and record.get("started"):
        store.record_duration(time.time() - record["started"])
    if done:
        fair_queue.reorder()  # this user has one task fewer running: their next one may move up
    return bool(done)


def requeue(store: TaskStore, record: dict, note: str, from_states=("running",)) -> bool:
    """Queue the task again as a new attempt; training resumes from its last checkpoint."""
    attempt = record["attempts"] + 1
    if not store.transition(record["id"], from_states, "queued", attempts=attempt,
                            job_id=jobs.job_id(record["id"], attempt), unset=_CLEARED_ON_QUEUE):
        return False
    run_dir = Path(record["run_dir"])
    rundir.write_status(run_dir, "queued")
    rundir.append_log(run_dir, note)
    jobs.enqueue(record["id"], attempt)
    fair_queue.reorder()
    return True


def fail_orphans(store: TaskStore, worker: str | None = None, reason: str = "") -> list[str]:
    """Fail the running tasks of a worker that died (worker given), or of any worker that stopped sending
    heartbeats (worker None): they must not look as if they were still running."""
    failed = []
    cutoff = time.time() - caps.STALE_AFTER_S
    for record in store.many(store.running_ids()):
        if record["state"] != "running":
            continue
        if worker is not None and record.get("worker") != worker:
            continue
        if worker is None and (record.get("heartbeat") or 0) > cutoff:
            continue
        if rundir.read_status(Path(record["run_dir"])).get("state") == "succeeded":
            # it finished while Redis was away (the worker could not say so): the run directory is the truth
            finish(store, record, "succeeded", worker=record.get("worker"))
            continue
        message = reason or (f"lost contact with worker {record.get('worker')} (no heartbeat for "
                             f"{caps.STALE_AFTER_S} s); retry resumes from the last finished epoch")
        if finish(store, record, "failed", message, worker=record.get("worker")):
            failed.append(record["id"])
    return failed


def requeue_lost(store: TaskStore) -> list[str]:
    """Queued tasks whose RQ job is gone (or ended without running them) get a new job: none is lost."""
    lost = []
    for record in store.many(store.ids()):
        if record["state"] != "queued":
            continue
        job_state = jobs.status(record["job_id"])
        if job_state is None or job_state in ("finished", "failed", "stopped", "canceled"):
            if requeue(store, record, "queued again: its queue entry was lost", from_states=("queued",)):
                lost.append(record["id"])
    return lost

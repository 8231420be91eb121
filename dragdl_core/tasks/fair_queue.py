"""Keeps the RQ queue in fair order (dragdl_core.classroom.scheduling): tasks of different users interleave.

RQ workers take jobs from the head of one Redis list. After every enqueue and every finished task the
waiting job ids are read, put in round-robin order across users (a user's running tasks count as rounds
already served) and written back in one MULTI/EXEC guarded by WATCH: if a worker takes a job or another job
arrives meanwhile, the transaction is dropped and done again, so a job is never lost or doubled. One list
and plain RQ workers: no dispatcher process, no per-user queues for workers to discover."""
from __future__ import annotations

import logging

import redis

from ..classroom.scheduling import Waiting, fair_order, running_counts
from . import jobs
from .connection import connection
from .store import TaskStore

log = logging.getLogger("dragdl.fair_queue")
ATTEMPTS = 20


def _task_id(job_id: str) -> str:
    return job_id.rsplit("-", 1)[0]


def fair_job_ids(job_ids: list[str], store: TaskStore) -> list[str]:
    """`job_ids` (queue order) in fair order. Jobs without a task record keep their place at the front."""
    records = {r["id"]: r for r in store.many([_task_id(j) for j in job_ids])}
    unknown, waiting = [], []
    for position, jid in enumerate(job_ids):
        record = records.get(_task_id(jid))
        if record is None:
            unknown.append(jid)
        else:  # the list is in enqueue order, give or take earlier reorders: a retry stays at the back
            waiting.append(Waiting(jid, record["user"], position))
    running = running_counts(r["user"] for r in store.many(store.running_ids()) if r["state"] == "running")
    return unknown + [w.id for w in fair_order(waiting, running)]


def reorder() -> bool:
    """Rewrite the queue in fair order; True when it changed. Best effort, never raises: the tasks are queued
    either way, and after ATTEMPTS lost races or a Redis error the next enqueue or finish tries again."""
    conn, store = connection(), TaskStore()
    key = jobs.queue().key
    for _ in range(ATTEMPTS):
        with conn.pipeline() as pipe:
            try:
                pipe.watch(key)
                job_ids = [j.decode() for j in pipe.lrange(key, 0, -1)]
                order = fair_job_ids(job_ids, store) if len(job_ids) > 1 else job_ids
                if order == job_ids:
                    return False
                pipe.multi()
                pipe.delete(key)
                pipe.rpush(key, *order)
                pipe.execute()
                return True
            except redis.WatchError:
                continue
            except redis.RedisError as err:  # the task is queued either way; order is a courtesy
                log.warning("queue not reordered: %s", err)
                return False
    log.warning("queue not reordered: it changed under %d attempts in a row", ATTEMPTS)
    return False

"""The task service API: submit a graph, then list, watch, stop, retry, delete it.

Fast by construction: a listing is one index read, one Lua call returning every record and one read of the
queue, plus the status.json of the tasks that are running right now."""
from __future__ import annotations

import json
import secrets
import time
from contextlib import contextmanager
from pathlib import Path

import redis

from ..classroom import assignments, class_config, quotas
from ..stores import datasets as datasets_store
from ..compiler.codegen import compile_graph
from ..compiler.graph import Graph
from ..compiler.validate import analyze
from .. import rundir
from . import access, caps, fair_queue, folders, jobs, lifecycle
from .connection import reachable
from .errors import Forbidden, InvalidGraph, LimitExceeded, TaskConflict, TaskNotFound
from .store import FINAL_STATES, TaskStore, now, user_lock

PUBLIC_FIELDS = ("id", "user", "name", "graph_name", "assignment", "state", "created", "started", "finished",
                 "progress", "error", "queue_position", "eta_seconds", "accuracy", "run_dir", "worker", "attempts",
                 "epoch", "epochs", "sweep")
ACTIVE_STATES = ("queued", "running")


def _store() -> TaskStore:
    return TaskStore()


def _analysis(graph):
    """Graph, dict or JSON text (never a path: text from a browser must not name a server file)."""
    if isinstance(graph, (bytes, str)):
        try:
            graph = json.loads(graph)
        except ValueError as err:
            raise InvalidGraph([{"node": None, "field": None, "code": "not_json",
                                 "message": f"the graph is not valid JSON: {err}"}]) from None
    if not isinstance(graph, (dict, Graph)):
        raise InvalidGraph([{"node": None, "field": None, "code": "not_a_graph",
                             "message": f"expected a graph, got {type(graph).__name__}"}])
    analysis = analyze(graph)
    if analysis.errors:
        raise InvalidGraph(analysis.errors)
    return analysis


def _check_datasets(analysis, actor) -> None:
    """A graph may train only on datasets its user may read (their own, or the class's)."""
    for node in analysis.graph.nodes:
        if node.type == "ImageFolder":
            try:
                datasets_store.check_use(analysis.params[node.id]["name"], actor)
            except datasets_store.DatasetAccessDenied as err:
                raise Forbidden(str(err)) from None


def _check_class_limits(analysis) -> None:
    errors = quotas.graph_errors(analysis, class_config.current().limits)
    if errors:
        raise InvalidGraph(errors)


@contextmanager
def _active_task_slot(store: TaskStore, user: str, actor, reserve: int = 1):
    """Hold the user's lock from counting their queued and running tasks until the new one is recorded,
    so two submits (or retries) in the same instant cannot both take the last slot. Unlimited actors
    (instructors, trusted callers) skip both. `reserve` > 1: a sweep's first task checks that all fit."""
    if not access.is_limited(actor):
        yield
        return
    lock = store.redis.lock(user_lock(user), timeout=60, blocking_timeout=30)
    if not lock.acquire():
        raise TaskConflict(f"{user}'s earlier submit is still being recorded; try again in a moment")
    try:
        active = sum(r["state"] in ACTIVE_STATES for r in store.many(store.ids(user)))
        allowed = class_config.current().limits.max_tasks_per_user
        if reserve > 1 and active + reserve > allowed:
            raise LimitExceeded(f"this sweep has {reserve} tasks and you have {active} queued or running; this "
                                f"class allows {allowed} at a time: vary fewer values or wait for tasks to finish")
        try:
            quotas.check_active_tasks(active, class_config.current().limits)
        except quotas.QuotaExceeded as err:
            raise LimitExceeded(str(err)) from None
        yield
    finally:
        try:
            lock.release()
        except redis.exceptions.LockNotOwnedError:  # held past its 60 s timeout: already released
            pass


def submit(graph, user: str, name: str | None = None, *, actor=None, assignment: str | None = None,
           sweep: str | None = None, reserve: int = 1) -> str:
    """Validate and compile the graph, create <home>/runs/<user>/<id>/ and queue it; returns the task id.
    An invalid graph raises InvalidGraph (with `.errors`) and writes nothing. A student (`actor`) is held to
    the class's limits: epochs (InvalidGraph naming the Trainer), tasks queued and running (LimitExceeded),
    and datasets they may read (Forbidden). `assignment` names the assignment the graph was opened from
    (the Build page passes it), so the task counts for it on the leaderboard even after a rename. `sweep`
    names the sweep the task belongs to (tasks/sweeps.py); `reserve` slots are checked against the quota."""
    folders.check_user(user)
    if assignment is not None and not assignments.NAME.fullmatch(str(assignment)):
        raise InvalidGraph([{"node": None, "field": None, "code": "bad_assignment",
                             "message": f"{assignment!r} is not an assignment name"}])
    actor = access.resolve(actor)
    access.check_submit(actor, user)
    analysis = _analysis(graph)
    if actor is not None:
        _check_datasets(analysis, actor)
    if access.is_limited(actor):
        _check_class_limits(analysis)
    script = compile_graph(analysis)
    task_id = secrets.token_hex(8)  # 64 random bits: not guessable
    run_dir = folders.path_for(user, task_id)
    with reachable():
        store = _store()
        store.redis.ping()  # before anything is written
        with _active_task_slot(store, user, actor, reserve):
            task = {"name": (name or analysis.graph.name)[:200], "assignment": assignment}
            if sweep:
                task["sweep"] = sweep
            folders.create(run_dir, analysis.graph.to_json(), script, task)
            try:
                store.create({"id": task_id, "user": user, **task, "graph_name": analysis.graph.name,
                              "state": "queued", "created": now(), "run_dir": str(run_dir), "attempts": 1,
                              "job_id": jobs.job_id(task_id, 1), "progress": 0.0})
                jobs.enqueue(task_id, 1)
            except BaseException:
                store.delete(task_id, user)
                folders.remove(run_dir)
                raise
        fair_queue.reorder()  # users interleave: one user's many tasks do not hold up the others'
    return task_id


def _record(store: TaskStore, task_id: str, actor, action: str) -> dict:
    record = store.get(task_id) if isinstance(task_id, str) and task_id else None
    if record is None:
        raise TaskNotFound(task_id)
    access.check(access.resolve(actor), action, task_id, record["user"])
    return record


class _Context:
    """What estimates need besides the record, fetched once per listing."""

    def __init__(self, store: TaskStore, records: list[dict]):
        queued = any(r["state"] == "queued" for r in records)
        self.positions = jobs.positions() if queued else {}
        self.workers = jobs.worker_count() if queued else 0
        self.average = store.average_duration() if records else None


def _view(record: dict, context: _Context) -> dict:
    task = {name: record.get(name) for name in PUBLIC_FIELDS}
    state = record["state"]
    task["progress"] = record.get("progress") or 0.0
    if state == "running":
        status = rundir.read_status(Path(record["run_dir"]))
        task["progress"] = float(status.get("progress") or 0.0)
        task["epoch"], task["epochs"] = status.get("epoch"), status.get("epochs")
        # a retried task resumes part-way: the rate counts only this attempt's progress and time
        done_before = float(status.get("resumed_progress") or 0.0)
        since = status.get("resumed_at") if done_before else record.get("started")
        elapsed = max(0.0, time.time() - (since or time.time()))
        if task["progress"] - done_before >= 0.02:
            task["eta_seconds"] = round(elapsed * (1 - task["progress"]) / (task["progress"] - done_before), 1)
        elif context.average:
            task["eta_seconds"] = round(max(0.0, context.average - elapsed), 1)
    elif state == "queued":
        position = context.positions.get(record.get("job_id"))
        task["queue_position"] = position
        if position and context.average and context.workers:
            task["eta_seconds"] = round(((position - 1) // context.workers + 1) * context.average, 1)
    elif state == "succeeded":
        task["progress"] = 1.0
    for name in ("epoch", "epochs"):
        task[name] = int(task[name]) if task[name] not in (None, "") else None
    return task


def list_tasks(user: str | None = None, *, actor=None) -> list[dict]:
    """Tasks newest first, all users' when user is None (a student acting sees only their own)."""
    user = access.owner_filter(access.resolve(actor), user)
    if user is not None:
        folders.check_user(user)
    with reachable():
        store = _store()
        records = store.many(store.ids(user))
        context = _Context(store, records)
    return [_view(r, context) for r in records]


def status(task_id: str, *, actor=None) -> dict:
    with reachable():
        store = _store()
        record = _record(store, task_id, actor, "view")
        return _view(record, _Context(store, [record]))


def stop(task_id: str, *, actor=None, wait: float = 0.0) -> dict:
    """Stop a queued or running task. A running one is interrupted by its worker within a second or two,
    keeping metrics, log and checkpoints; `wait` seconds are spent waiting for that. Returns the status."""
    with reachable():
        store = _store()
        record = _record(store, task_id, actor, "stop")
        state = record["state"]
        if state == "queued":
            if store.transition(task_id, ["queued"], "stopped", finished=now()):
                jobs.discard([record.get("job_id")])
                rundir.write_status(Path(record["run_dir"]), "stopped")
                rundir.append_log(Path(record["run_dir"]), "task stopped before it started")
                return status(task_id)
            return stop(task_id, actor=actor, wait=wait)  # a worker claimed it meanwhile
        if state in FINAL_STATES:
            raise TaskConflict(f"task {task_id} is not queued or running (it {state})")
        if (record.get("heartbeat") or 0) < time.time() - caps.STALE_AFTER_S:
            lifecycle.finish(store, record, "stopped")  # its worker is gone: nobody else will
        else:
            store.transition(task_id, ["running"], stop_requested=1)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and status(task_id)["state"] == "running":
            time.sleep(0.2)
        return status(task_id)


def retry(task_id: str, *, actor=None) -> dict:
    """Queue a failed or stopped task again; its train.py resumes from the last finished epoch, keeping
    the metrics so far."""
    with reachable():
        store, actor = _store(), access.resolve(actor)
        record = _record(store, task_id, actor, "retry")
        if record["state"] not in ("failed", "stopped"):
            raise TaskConflict(f"only a failed or stopped task can be retried; task {task_id} is {record['state']}")
        note = f"retry (attempt {record['attempts'] + 1}): queued again, resuming from the last finished epoch"
        with _active_task_slot(store, record["user"], actor):  # a retried task is active again
            if not lifecycle.requeue(store, record, note, from_states=("failed", "stopped")):
                raise TaskConflict(f"task {task_id} changed state meanwhile; try again")
        return status(task_id)


def delete(task_id: str, *, actor=None) -> None:
    """Forget a task and delete its run directory (a running task is stopped first)."""
    with reachable():
        store = _store()
        record = _record(store, task_id, actor, "delete")
        if record["state"] not in FINAL_STATES:  # stopped first, so no worker writes into it afterwards
            if stop(task_id, wait=caps.STOP_GRACE_S + 5)["state"] not in FINAL_STATES:
                raise TaskConflict(f"task {task_id} did not stop in time; it was not deleted, try again")
        jobs.discard([record.get("job_id")])
        store.delete(task_id, record["user"])
    folders.remove(Path(record["run_dir"]))


def logs(task_id: str, tail: int = 200, *, actor=None) -> str:
    """The last `tail` lines of the task's log.txt (empty before training has written anything)."""
    return rundir.tail(run_dir(task_id, actor=actor) / rundir.LOG, tail)


def run_dir(task_id: str, *, actor=None) -> Path:
    with reachable():
        return Path(_record(_store(), task_id, actor, "view")["run_dir"])


def queue_status(*, actor=None) -> dict:
    """The queue and the workers at a glance, for instructors: how many tasks wait and run, and what each
    worker is doing (its running task and that task's owner)."""
    access.check_class(access.resolve(actor), "see_queue")
    with reachable():
        store = _store()
        running = {r.get("worker"): r for r in store.many(store.running_ids()) if r["state"] == "running"}
        workers = [dict(w, task=running.get(w["name"], {}).get("id"), user=running.get(w["name"], {}).get("user"))
                   for w in jobs.workers()]
        return {"queued": len(jobs.queue().get_job_ids()), "running": len(running), "workers": workers}

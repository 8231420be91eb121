"""Faults with a real Redis and real workers: a worker killed mid-training, Redis restarted under queued
tasks, and tasks that break their memory or wall-time cap."""
from __future__ import annotations

import signal

import psutil
import pytest

from dragdl_core import tasks
from task_service import Workers, finished_epochs, records, redis_server, tiny_graph, wait_for  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture
def make_workers(tmp_path):
    started = []

    def make(count=1, **env):
        started.append(Workers(count, tmp_path / f"workers{len(started)}", **env))
        return started[-1]

    yield make
    for workers in started:
        workers.stop()


def state_of(task_id):
    return tasks.status(task_id)["state"]


def test_a_worker_killed_mid_training_fails_its_task_and_retry_resumes(redis_server, make_workers):
    workers = make_workers(1)
    epochs = 10
    task_id = tasks.submit(tiny_graph(limit_per_class=60, epochs=epochs), "ada")
    run_dir = tasks.run_dir(task_id)
    wait_for(lambda: finished_epochs(run_dir) >= 2, 120, "two finished epochs")
    name = tasks.status(task_id)["worker"]
    worker = workers.process_named(name)
    horses = worker.children()
    worker.send_signal(signal.SIGKILL)

    wait_for(lambda: state_of(task_id) == "failed", 15, "the task to be marked failed")
    status = tasks.status(task_id)
    assert name in status["error"] and "SIGKILL" in status["error"]
    assert "died" in tasks.logs(task_id)
    wait_for(lambda: not any(h.is_running() and h.status() != psutil.STATUS_ZOMBIE for h in horses), 10,
             "the killed worker's training process to end too")
    kept = finished_epochs(run_dir)

    tasks.retry(task_id)  # the supervisor has restarted the worker meanwhile
    wait_for(lambda: state_of(task_id) in tasks.FINAL_STATES, 120, "the retried task to finish")
    assert state_of(task_id) == "succeeded", tasks.logs(task_id)
    assert f"resumed from the checkpoint after epoch {kept}" in tasks.logs(task_id)
    assert sorted(r["epoch"] for r in records(run_dir, "epoch")) == list(range(epochs))


def test_redis_restarted_under_queued_tasks_loses_none_and_runs_them(redis_server, make_workers):
    make_workers(1)
    ids = [tasks.submit(tiny_graph(limit_per_class=40, epochs=3), "ada") for _ in range(4)]
    wait_for(lambda: state_of(ids[0]) == "running", 60, "the first task to start")
    redis_server.stop()
    redis_server.start()  # same port, same AOF
    assert {t["id"] for t in tasks.list_tasks()} == set(ids)
    for task_id in ids:
        wait_for(lambda: state_of(task_id) in tasks.FINAL_STATES, 120, f"task {task_id} to finish")
    assert [state_of(task_id) for task_id in ids] == ["succeeded"] * 4
    for task_id in ids:
        assert len(records(tasks.run_dir(task_id), "test")) == 1


@pytest.mark.parametrize("env, cap", [
    ({"DRAGDL_TASK_MEMORY_MB": "64"}, "memory cap exceeded"),  # the runtime alone takes more
    ({"DRAGDL_TASK_TIME_LIMIT": "3"}, "wall-time cap exceeded"),
])
def test_a_task_over_its_cap_fails_naming_the_cap(redis_server, make_workers, env, cap):
    make_workers(1, **env)
    task_id = tasks.submit(tiny_graph(limit_per_class=None, epochs=200), "ada")  # a minute or more
    wait_for(lambda: state_of(task_id) in tasks.FINAL_STATES, 60, "the task to end")
    status = tasks.status(task_id)
    assert status["state"] == "failed" and cap in status["error"], status
    assert next(iter(env)) in status["error"]  # says which setting raises the cap
    assert cap in tasks.logs(task_id)

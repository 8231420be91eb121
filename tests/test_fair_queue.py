"""The fair-order rewrite of the RQ queue on a real Redis, in the cases a lucky order would hide: what it
reports, jobs it knows nothing about, a Redis that answers with an error, and a queue that keeps changing
under it (found by mutation testing: benchmarks/mutation.py)."""
from __future__ import annotations

import logging

from dragdl_core import tasks
from dragdl_core.tasks import fair_queue, jobs
from dragdl_core.tasks.connection import connection
from task_service import redis_server, tiny_graph  # noqa: F401  (fixture)


def queued_ids() -> list[str]:
    return jobs.queue().get_job_ids()


def test_reorder_says_whether_it_changed_the_queue(redis_server):
    a1, a2 = (tasks.submit(tiny_graph(), "ada") for _ in range(2))
    b1 = tasks.submit(tiny_graph(), "bob")
    fair = [jobs.job_id(t, 1) for t in (a1, b1, a2)]
    assert queued_ids() == fair
    assert fair_queue.reorder() is False                    # already fair: nothing written
    key = jobs.queue().key
    connection().delete(key)
    connection().rpush(key, *[jobs.job_id(t, 1) for t in (a1, a2, b1)])  # first come, first served
    assert fair_queue.reorder() is True
    assert queued_ids() == fair


def test_a_job_without_a_task_record_keeps_its_place_at_the_front(redis_server):
    key = jobs.queue().key
    connection().rpush(key, "not-a-dragdl-task-1")
    a1, a2 = (tasks.submit(tiny_graph(), "ada") for _ in range(2))
    b1 = tasks.submit(tiny_graph(), "bob")
    assert queued_ids() == ["not-a-dragdl-task-1", *(jobs.job_id(t, 1) for t in (a1, b1, a2))]


def test_a_redis_error_leaves_the_queue_alone_and_is_logged(redis_server, caplog):
    key = jobs.queue().key
    connection().set(key, "not a list")
    with caplog.at_level(logging.WARNING, logger="dragdl.fair_queue"):
        assert fair_queue.reorder() is False
    assert connection().get(key) == b"not a list"
    assert any(r.getMessage().startswith("queue not reordered: WRONGTYPE") for r in caplog.records)


def test_a_queue_that_keeps_changing_is_given_up_after_the_set_attempts(redis_server, monkeypatch, caplog):
    for user in ("ada", "ada", "bob"):
        tasks.submit(tiny_graph(), user)
    before = queued_ids()
    key, calls = jobs.queue().key, []

    def changing_under_it(job_ids, store):  # another job arrives while every attempt computes its order
        calls.append(1)
        connection().rpush(key, f"other-{len(calls)}")
        return list(reversed(job_ids))

    monkeypatch.setattr(fair_queue, "fair_job_ids", changing_under_it)
    with caplog.at_level(logging.WARNING, logger="dragdl.fair_queue"):
        assert fair_queue.reorder() is False
    assert len(calls) == fair_queue.ATTEMPTS
    assert queued_ids() == before + [f"other-{i}" for i in range(1, fair_queue.ATTEMPTS + 1)]
    assert [r.getMessage() for r in caplog.records] == [
        f"queue not reordered: it changed under {fair_queue.ATTEMPTS} attempts in a row"]

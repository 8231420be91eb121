"""Tasks in a class, through the task service on a real Redis: students act only on their own tasks,
instructors on all, class limits are refused with a clear message, and tasks of different users interleave
in the queue."""
from __future__ import annotations

import threading

import pytest

from classroom import BOB, GRACE, classroom, write_class  # noqa: F401  (fixture)
from dataset_archives import class_files, write_zip
from dragdl_core import tasks
from dragdl_core.stores import datasets as datasets_store
from dragdl_core.tasks import jobs, lifecycle
from dragdl_core.tasks.store import TaskStore
from task_service import redis_server, tiny_graph  # noqa: F401  (fixture)

ACTIONS = {
    "view": lambda tid, actor: tasks.status(tid, actor=actor),
    "view ": lambda tid, actor: tasks.logs(tid, actor=actor),
    "view  ": lambda tid, actor: tasks.run_dir(tid, actor=actor),
    "stop": lambda tid, actor: tasks.stop(tid, actor=actor),
    "retry": lambda tid, actor: tasks.retry(tid, actor=actor),
    "delete": lambda tid, actor: tasks.delete(tid, actor=actor),
}


def test_every_action_on_another_students_task_is_refused(redis_server, classroom):
    task_id = tasks.submit(tiny_graph(), "ada", actor="ada")
    for action, call in ACTIONS.items():
        for actor in ("bob", BOB):
            with pytest.raises(tasks.Forbidden) as err:
                call(task_id, actor)
            message = str(err.value)
            assert f"you may not {action.strip()} task {task_id}" in message
            assert "ada" not in message.replace(task_id, "")       # the owner is not revealed (ids are hex)
    with pytest.raises(tasks.Forbidden, match="another user's tasks"):
        tasks.list_tasks("ada", actor="bob")
    with pytest.raises(tasks.Forbidden, match="in another user's name"):
        tasks.submit(tiny_graph(), "ada", actor="bob")
    assert tasks.list_tasks(actor="bob") == []                    # a student's listing: their own only
    assert tasks.status(task_id)["state"] == "queued"              # nothing happened to it
    assert [t["id"] for t in tasks.list_tasks(actor="ada")] == [task_id]


def test_an_instructor_sees_and_controls_every_task(redis_server, classroom):
    adas = tasks.submit(tiny_graph(), "ada", actor="ada")
    bobs = tasks.submit(tiny_graph(), "bob", actor="bob")
    assert {t["id"] for t in tasks.list_tasks(actor="grace")} == {adas, bobs}
    assert tasks.stop(adas, actor="grace")["state"] == "stopped"
    assert tasks.retry(adas, actor=GRACE)["state"] == "queued"
    tasks.delete(bobs, actor="grace")
    assert [t["id"] for t in tasks.list_tasks(actor="grace")] == [adas]


def test_more_epochs_than_the_class_allows_is_refused_naming_the_trainer(redis_server, isolated_home, monkeypatch):
    write_class(isolated_home, monkeypatch, max_epochs=5)
    with pytest.raises(tasks.InvalidGraph) as err:
        tasks.submit(tiny_graph(epochs=6), "ada", actor="ada")
    [error] = err.value.errors
    assert (error["node"], error["field"]) == ("train", "epochs")
    assert "Trainer 'train': 6 epochs is more than this class allows (5)" in str(err.value)
    assert tasks.list_tasks() == [] and not (isolated_home / "runs").exists()
    tasks.submit(tiny_graph(epochs=5), "ada", actor="ada")
    tasks.submit(tiny_graph(epochs=50), "ada", actor="grace")       # instructors are not limited


def test_the_per_user_limit_on_queued_and_running_tasks(redis_server, isolated_home, monkeypatch):
    write_class(isolated_home, monkeypatch, max_tasks_per_user=2)
    first = tasks.submit(tiny_graph(), "ada", actor="ada")
    tasks.submit(tiny_graph(), "ada", actor="ada")
    with pytest.raises(tasks.LimitExceeded, match="you already have 2 tasks queued or running and this class "
                                                  "allows 2 at a time; wait for one to finish or stop one"):
        tasks.submit(tiny_graph(), "ada", actor="ada")
    tasks.submit(tiny_graph(), "bob", actor="bob")                    # others are not held up
    tasks.stop(first, actor="ada")
    tasks.submit(tiny_graph(), "ada", actor="ada")                    # one fewer active: allowed again
    assert len(tasks.list_tasks("ada")) == 3


def test_simultaneous_submits_cannot_both_take_the_last_slot(redis_server, isolated_home, monkeypatch):
    write_class(isolated_home, monkeypatch, max_tasks_per_user=2)
    start, accepted, refused = threading.Barrier(6), [], []

    def submit():
        start.wait()
        try:
            accepted.append(tasks.submit(tiny_graph(), "ada", actor="ada"))
        except tasks.LimitExceeded as err:
            refused.append(str(err))

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(accepted) == 2 and len(refused) == 4
    assert sorted(t["id"] for t in tasks.list_tasks("ada")) == sorted(accepted)
    assert len(list((isolated_home / "runs" / "ada").iterdir())) == 2    # refused submits wrote nothing


def test_retry_is_held_to_the_per_user_limit_too(redis_server, isolated_home, monkeypatch):
    write_class(isolated_home, monkeypatch, max_tasks_per_user=1)
    first = tasks.submit(tiny_graph(), "ada", actor="ada")
    tasks.stop(first, actor="ada")
    tasks.submit(tiny_graph(), "ada", actor="ada")
    with pytest.raises(tasks.LimitExceeded, match="you already have 1 task queued or running"):
        tasks.retry(first, actor="ada")
    assert tasks.status(first)["state"] == "stopped"
    tasks.retry(first, actor="grace")                                 # an instructor may


def test_training_on_another_students_private_dataset_is_refused(redis_server, classroom, tmp_path):
    datasets_store.import_archive(write_zip(tmp_path / "p.zip", class_files(("cat", "dog"), 6)), "pets", owner="ada")
    graph = tiny_graph()
    graph["nodes"][0] = {"id": "data", "type": "ImageFolder", "params": {"name": "pets", "image_size": 8,
                                                                        "color": "grayscale"}}
    with pytest.raises(tasks.Forbidden, match="^no dataset named 'pets'"):  # as if it did not exist
        tasks.submit(graph, "bob", actor="bob")
    tasks.submit(graph, "ada", actor="ada")
    datasets_store.share("pets", owner="grace")
    tasks.submit(graph, "bob", actor="bob")


def test_three_users_submitting_at_once_interleave_in_the_queue(redis_server, classroom):
    """ada's three are queued first, so first come, first served would give ada the whole first round; then
    bob and grace submit at the same moment from two threads (the queue is rewritten under their feet)."""
    for _ in range(3):
        tasks.submit(tiny_graph(), "ada", actor="ada")
    start = threading.Barrier(2)

    def submit_three(user):
        start.wait()
        for _ in range(3):
            tasks.submit(tiny_graph(), user, actor=user)

    threads = [threading.Thread(target=submit_three, args=(u,)) for u in ("bob", "grace")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    owners = {t["id"]: t["user"] for t in tasks.list_tasks()}
    queue = [owners[jid.rsplit("-", 1)[0]] for jid in jobs.queue().get_job_ids()]
    assert len(queue) == 9
    for round_ in range(3):                                 # every user once per round of three
        assert sorted(queue[3 * round_:3 * round_ + 3]) == ["ada", "bob", "grace"], queue


def test_a_users_running_task_counts_as_their_turn(redis_server, classroom):
    """ada already has a task on a worker, so bob's first task goes before ada's second, though it came later."""
    running = tasks.submit(tiny_graph(), "ada", actor="ada")
    assert jobs.queue().pop_job_id() == jobs.job_id(running, 1)      # a worker takes it, as RQ's dequeue does,
    assert lifecycle.start(TaskStore(), running, 1, "worker-under-test")  # and claims it
    adas_second = tasks.submit(tiny_graph(), "ada", actor="ada")
    bobs_first = tasks.submit(tiny_graph(), "bob", actor="bob")
    assert tasks.status(running)["state"] == "running"
    assert (tasks.status(bobs_first)["queue_position"], tasks.status(adas_second)["queue_position"]) == (1, 2)


def test_one_students_many_tasks_do_not_hold_up_a_later_student(redis_server, classroom):
    adas = [tasks.submit(tiny_graph(), "ada", actor="grace") for _ in range(6)]
    bobs = tasks.submit(tiny_graph(), "bob", actor="bob")
    assert tasks.status(bobs)["queue_position"] == 2
    retried = tasks.stop(adas[0])["id"]
    tasks.retry(retried)
    assert tasks.status(retried)["queue_position"] == 7      # last: behind bob and her five others


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_real_worker_serves_three_users_in_turn(redis_server, classroom, tmp_path):
    """All nine are queued before the worker starts (so a fast machine cannot finish ada's first task before
    bob submits): first come, first served would run ada's three first."""
    from task_service import Workers, wait_for

    for user in ("ada", "bob", "grace"):
        for _ in range(3):
            tasks.submit(tiny_graph(limit_per_class=10), user, actor=user)
    assert tasks.queue_status(actor="grace")["queued"] == 9
    with pytest.raises(tasks.Forbidden, match="only an instructor may see the queue and the workers"):
        tasks.queue_status(actor="ada")
    workers = Workers(1, tmp_path / "workers")
    try:
        busy = wait_for(lambda: [w for w in tasks.queue_status()["workers"] if w["task"]], 60, "a busy worker")
        assert busy[0]["user"] in ("ada", "bob", "grace")
        wait_for(lambda: all(t["state"] in tasks.FINAL_STATES for t in tasks.list_tasks()), 240,
                 "nine tasks to finish")
    finally:
        workers.stop()
    done = sorted(tasks.list_tasks(), key=lambda t: t["started"])
    assert [t["state"] for t in done] == ["succeeded"] * 9
    started_by = [t["user"] for t in done]
    for round_ in range(3):
        assert sorted(started_by[3 * round_:3 * round_ + 3]) == ["ada", "bob", "grace"], started_by

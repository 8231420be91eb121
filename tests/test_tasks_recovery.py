"""Task records rebuilt from the run directories after Redis's data is lost (deleted, or a new Redis): a
finished task comes back with its accuracy, a task lost while queued comes back failed and can be retried,
and runs that were never tasks stay out."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from conftest import ROOT
from dragdl_core import tasks
from dragdl_core.tasks import recovery
from task_service import redis_server, tiny_graph  # noqa: F401  (fixture)

pytestmark = pytest.mark.timeout(300)


def train_in_place(run_dir, python_env):
    """What a worker's horse does: run the task's own train.py in its run directory."""
    subprocess.run([sys.executable, str(run_dir / "train.py"), "--run-dir", str(run_dir)], env=python_env,
                   cwd=ROOT, check=True, capture_output=True, timeout=240)


def test_records_come_back_from_the_run_directories(redis_server, isolated_home, python_env):
    finished = tasks.submit(tiny_graph(), "ada", "my best try", actor="ada", assignment="lab-1")
    train_in_place(tasks.run_dir(finished), python_env)
    accuracy = json.loads((tasks.run_dir(finished) / "report.json").read_text())["accuracy"]
    lost_while_queued = tasks.submit(tiny_graph(), "bob", actor="bob")
    just_submitted = tasks.submit(tiny_graph(), "bob", actor="bob")
    long_ago = time.time() - 3600
    os.utime(tasks.run_dir(lost_while_queued) / "graph.json", (long_ago, long_ago))
    not_a_task = isolated_home / "runs" / "ada" / "my-cli-run"          # `dragdl_core run --run-dir ...`
    not_a_task.mkdir(parents=True)
    (not_a_task / "graph.json").write_text("{}")

    tasks.connection().flushdb()                                          # Redis's data is gone
    assert tasks.list_tasks() == []
    assert sorted(recovery.recover()) == sorted([finished, lost_while_queued])

    done = tasks.status(finished)
    assert (done["user"], done["state"], done["accuracy"]) == ("ada", "succeeded", accuracy)
    assert (done["name"], done["graph_name"], done["assignment"]) == ("my best try", "digits-small-cnn", "lab-1")
    lost = tasks.status(lost_while_queued)
    assert lost["state"] == "failed" and "lost with Redis's data while it was queued" in lost["error"]
    assert just_submitted not in {t["id"] for t in tasks.list_tasks()}  # may be a submit in flight: left
    with pytest.raises(tasks.Forbidden):                                 # ownership comes back too
        tasks.status(finished, actor="bob")
    assert tasks.retry(lost_while_queued, actor="bob")["state"] == "queued"
    assert recovery.recover() == []                                       # known tasks are left alone


def test_the_cli_recovers_and_says_how_many(redis_server, isolated_home, python_env):
    task_id = tasks.submit(tiny_graph(), "ada")
    long_ago = time.time() - 3600
    os.utime(tasks.run_dir(task_id) / "graph.json", (long_ago, long_ago))
    tasks.connection().flushdb()
    out = subprocess.run([sys.executable, "-m", "dragdl_core", "tasks", "recover"], env=python_env, cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and f"recovered 1 task(s) from their run directories: {task_id}" in out.stdout
    assert tasks.status(task_id)["state"] == "failed"

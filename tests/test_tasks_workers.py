"""Real workers (two, supervised, Paddle preloaded) running real tiny trainings through the task service."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

import pytest

from conftest import ROOT
from dragdl_core import tasks
from task_service import Workers, failing_graph, finished_epochs, records, start_redis, tiny_graph, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    saved = os.environ.get("REDIS_URL")
    folder = tmp_path_factory.mktemp("service")
    server = start_redis(folder / "redis")
    os.environ["REDIS_URL"] = server.url
    workers = Workers(2, folder / "workers")
    yield workers
    workers.stop()
    server.stop()
    if saved is None:
        os.environ.pop("REDIS_URL", None)
    else:
        os.environ["REDIS_URL"] = saved


def wait_final(task_id: str, timeout: float = 120) -> dict:
    return wait_for(lambda: (s := tasks.status(task_id))["state"] in tasks.FINAL_STATES and s, timeout,
                    f"task {task_id} to finish")


def test_a_task_trains_and_reports(service):
    task_id = tasks.submit(tiny_graph(limit_per_class=30, epochs=2), "ada")
    done = wait_final(task_id)
    assert done["state"] == "succeeded", (done, tasks.logs(task_id))
    assert done["progress"] == 1.0 and done["error"] is None and done["epoch"] == 2
    assert done["accuracy"] > 0.2  # ten classes: chance is 0.1
    run_dir = tasks.run_dir(task_id)
    for name in ("graph.json", "train.py", "status.json", "metrics.jsonl", "log.txt", "report.json",
                 "model/meta.json", "checkpoints/state.json"):
        assert (run_dir / name).exists(), name
    assert json.loads((run_dir / "status.json").read_text())["state"] == "succeeded"
    assert "test accuracy" in tasks.logs(task_id)
    listed = {t["id"]: t for t in tasks.list_tasks("ada")}
    assert listed[task_id]["state"] == "succeeded" and listed[task_id]["accuracy"] == done["accuracy"]


def test_a_task_whose_training_raises_fails_with_its_message_and_the_workers_carry_on(service):
    bad = tasks.submit(failing_graph(), "ada")
    good = tasks.submit(tiny_graph(), "ada")
    failed = wait_final(bad)
    assert failed["state"] == "failed"
    assert "ExpressionError" in failed["error"] and "must give an image" in failed["error"]
    assert "must give an image" in json.loads((tasks.run_dir(bad) / "status.json").read_text())["error"]
    assert "must give an image" in tasks.logs(bad)
    assert wait_final(good)["state"] == "succeeded"
    later = tasks.submit(tiny_graph(), "ada")
    assert wait_final(later)["state"] == "succeeded"


def test_stop_ends_a_running_task_keeping_its_files_and_retry_resumes(service):
    epochs = 12
    task_id = tasks.submit(tiny_graph(limit_per_class=60, epochs=epochs), "ada")
    run_dir = tasks.run_dir(task_id)
    wait_for(lambda: finished_epochs(run_dir) >= 2, 120, "two finished epochs")
    stopped = tasks.stop(task_id, wait=15)
    assert stopped["state"] == "stopped", stopped
    kept = finished_epochs(run_dir)
    assert kept < epochs
    assert records(run_dir, "epoch") and (run_dir / "log.txt").exists()
    assert (run_dir / "checkpoints" / "model.pdparams").exists()
    assert json.loads((run_dir / "status.json").read_text())["state"] == "stopped"
    assert "stopped on request" in tasks.logs(task_id)

    assert tasks.retry(task_id)["state"] in ("queued", "running")
    done = wait_final(task_id)
    assert done["state"] == "succeeded", tasks.logs(task_id)
    assert f"resumed from the checkpoint after epoch {kept}" in tasks.logs(task_id)
    epochs_logged = [r["epoch"] for r in records(run_dir, "epoch")]
    assert sorted(epochs_logged) == list(range(epochs))  # each epoch once, across both attempts


def test_twenty_tiny_tasks_on_two_workers_all_finish_once(service):
    ids = [tasks.submit(tiny_graph(limit_per_class=20, epochs=1), "crowd") for _ in range(20)]
    for task_id in ids:
        wait_final(task_id, timeout=240)
    listing = tasks.list_tasks("crowd")
    assert Counter(t["state"] for t in listing) == {"succeeded": 20}
    assert sorted(t["id"] for t in listing) == sorted(ids)
    for task in listing:
        assert task["attempts"] == 1
        assert len(records(task["run_dir"], "test")) == 1  # trained and tested exactly once
        assert tasks.logs(task["id"]).count("test accuracy") == 1


def cli(*args, env_home=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONWARNINGS="ignore")
    return subprocess.run([sys.executable, "-m", "dragdl_core", "tasks", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_the_tasks_command_line(service, tmp_path):
    graph = tmp_path / "g.json"
    graph.write_text(json.dumps(tiny_graph()))
    out = cli("submit", str(graph), "--user", "cli", "--json")
    assert out.returncode == 0, out.stderr
    task_id = json.loads(out.stdout)["id"]
    wait_final(task_id)
    listing = json.loads(cli("list", "--user", "cli", "--json").stdout)
    assert [t["id"] for t in listing] == [task_id] and listing[0]["state"] == "succeeded"
    status = json.loads(cli("status", task_id, "--json").stdout)
    assert status["state"] == "succeeded" and set(status) >= {"id", "user", "state", "created", "progress", "error"}
    assert "test accuracy" in cli("logs", task_id).stdout

    bad = tmp_path / "bad.json"
    broken = tiny_graph()
    broken["nodes"][3]["params"]["kernel_size"] = 0
    bad.write_text(json.dumps(broken))
    for args, message in ((["status", "nope"], "no task 'nope'"),
                          (["retry", task_id], "only a failed or stopped task"),
                          (["stop", task_id], "not queued or running"),
                          (["submit", str(tmp_path / "missing.json")], "no such graph file"),
                          (["submit", str(bad)], "conv1.kernel_size"),
                          (["logs", task_id, "--tail", "0"], "--tail must be at least 1"),
                          (["submit", str(graph), "--user", "../x"], "invalid user name")):
        result = cli(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr, (args, result.stderr)
    assert cli("delete", task_id).returncode == 0
    assert cli("status", task_id).returncode == 2

"""Deployment safety with real processes: `up` refuses to serve everyone as instructor on a network address,
the supervisor starts a dead embedded Redis again, a task whose run directory says it succeeded keeps that
state, and what an instance writes is readable by its own user only."""
from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time

import psutil
import pytest

from conftest import ROOT
from dragdl_core import tasks
from dragdl_core import rundir
from dragdl_core.tasks import folders, lifecycle
from dragdl_core.tasks.store import TaskStore
from classroom import classroom  # noqa: F401  (fixture)
from task_service import redis_server, tiny_graph, wait_for  # noqa: F401  (fixture)


def test_up_refuses_a_network_address_without_accounts(tmp_path, python_env):
    env = dict(python_env, DRAGDL_HOME=str(tmp_path / "home"))
    env.pop("DRAGDL_CONFIG", None)
    env.pop("DRAGDL_USERS", None)
    out = subprocess.run([sys.executable, "-m", "dragdl_core", "up", "--address", "0.0.0.0", "--port", "8599"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2, out.stderr
    assert out.stderr.startswith("error: refusing to serve 0.0.0.0 without accounts: every visitor would be "
                                 "the instructor") and "--allow-open-single-user" in out.stderr
    assert not (tmp_path / "home" / "redis" / "appendonlydir").exists()  # nothing was started


def test_a_task_that_finished_while_redis_was_away_stays_succeeded(redis_server, isolated_home):
    task_id = tasks.submit(tiny_graph(), "ada")
    store = TaskStore()
    record = store.get(task_id)
    # as a worker that started it and then lost Redis: running, the last heartbeat long ago ...
    assert store.transition(task_id, ["queued"], "running", started=time.time() - 600, heartbeat=time.time() - 600,
                            worker="w-gone")
    # ... while training finished and said so in the run directory
    rundir.write_status(folders.path_for("ada", task_id), "succeeded", progress=1.0, accuracy=0.9)
    assert lifecycle.fail_orphans(store) == []
    status = tasks.status(task_id)
    assert status["state"] == "succeeded" and not status["error"], status
    # a task that did not finish is still failed, as before
    other = tasks.submit(tiny_graph(), "ada")
    store.transition(other, ["queued"], "running", started=time.time() - 600, heartbeat=time.time() - 600,
                     worker="w-gone")
    assert lifecycle.fail_orphans(store) == [other]
    assert record["run_dir"]


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_up_restarts_a_dead_redis_and_keeps_its_files_private(tmp_path, python_env):
    home = tmp_path / "home"
    env = dict(python_env, DRAGDL_HOME=str(home))
    for name in ("REDIS_URL", "DRAGDL_CONFIG", "DRAGDL_USERS"):
        env.pop(name, None)
    log = tmp_path / "up.log"
    up = subprocess.Popen([sys.executable, "-m", "dragdl_core", "up", "--no-app", "--workers", "1"], cwd=ROOT,
                          env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "dragdl_core", "tasks", *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=60)

    try:
        wait_for(lambda: "is running" in log.read_text() or up.poll() is not None, 90, "up to start")
        assert up.poll() is None, log.read_text()
        graph = tmp_path / "g.json"
        graph.write_text(json.dumps(tiny_graph()))
        task_id = json.loads(cli("submit", str(graph), "--user", "ada", "--json").stdout)["id"]
        wait_for(lambda: json.loads(cli("status", task_id, "--json").stdout)["state"] == "succeeded", 180,
                 "the task to succeed")

        redis = [p for p in psutil.Process(up.pid).children(recursive=True) if "redis" in p.name()]
        assert len(redis) == 1
        redis[0].kill()
        wait_for(lambda: [p for p in psutil.Process(up.pid).children(recursive=True)
                          if "redis" in p.name() and p.pid != redis[0].pid], 30, "Redis to be started again")
        wait_for(lambda: cli("status", task_id, "--json").returncode == 0, 30, "the task service to answer")
        assert json.loads(cli("status", task_id, "--json").stdout)["state"] == "succeeded"
        assert "starting it again" in log.read_text()

        run_dir = home / "runs" / "ada" / task_id
        for folder in (home, home / "runs", home / "logs", home / "redis", run_dir):
            assert _mode(folder) & 0o077 == 0, (folder, oct(_mode(folder)))
        files = [run_dir / "log.txt", run_dir / "status.json", home / "logs" / "worker-1.log",
                 *[p for p in (home / "redis").rglob("*") if p.is_file()]]
        assert len(files) > 4
        for path in files:
            assert _mode(path) & 0o077 == 0, (path, oct(_mode(path)))
    finally:
        up.send_signal(signal.SIGINT)
        assert up.wait(60) == 0, log.read_text()


def test_a_student_is_shown_no_absolute_server_path(classroom):
    from classroom import ADA, GRACE
    from dragdl_core import config
    from dragdl_core.classroom import access
    from dragdl_core.stores import datasets as store
    from dragdl_core.compiler.validate import analyze

    graph = {"format": "dragdl.graph", "version": 1, "nodes": [
        {"id": "data", "type": "ImageFolder", "params": {"name": "missing", "image_size": 16}},
        {"id": "head", "type": "ClassifierHead"}, {"id": "train", "type": "Trainer"}],
        "edges": [{"source": "data", "target": "head"}, {"source": "head", "target": "train"}]}
    root = str(config.datasets_dir())
    try:
        access.act_as(ADA)
        (error,) = analyze(graph).errors
        assert "no dataset named 'missing'" in error["message"]
        assert root not in error["message"] and root not in error["detail"], error  # the API returns both
        assert "the datasets folder" in error["detail"]
        with pytest.raises(store.DatasetError) as err:
            store.describe("missing", owner="ada")
        assert root not in str(err.value)
        access.act_as(GRACE)  # the instructor (and the server's command line) keep the details
        assert root in analyze(graph).errors[0]["detail"]
    finally:
        access.act_as(None)
    assert root in analyze(graph).errors[0]["detail"]

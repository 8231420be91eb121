"""`python -m dragdl_core up`: one command starts Redis and the workers, tasks submitted from another shell
run, Ctrl-C stops everything it started, and the tasks are still there at the next start."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import psutil
import pytest

from conftest import ROOT
from task_service import tiny_graph, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def environment(home):
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    return dict(env, PYTHONPATH=str(ROOT), PYTHONWARNINGS="ignore", DRAGDL_HOME=str(home))


def start_up(home, log):
    process = subprocess.Popen([sys.executable, "-m", "dragdl_core", "up", "--no-app", "--workers", "1",
                                "--home", str(home)], env=environment(home), cwd=ROOT,
                               stdout=open(log, "w"), stderr=subprocess.STDOUT)
    wait_for(lambda: "is running" in log.read_text() or process.poll() is not None, 60, "up to start")
    assert process.poll() is None, log.read_text()
    return process


def cli(home, *args):
    result = subprocess.run([sys.executable, "-m", "dragdl_core", "tasks", *args], env=environment(home),
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    return result


def stop_and_check_nothing_left(process, log, sig):
    family = psutil.Process(process.pid).children(recursive=True)
    assert any("redis-server" in " ".join(p.cmdline()) for p in family)
    process.send_signal(sig)
    assert process.wait(60) == 0, log.read_text()
    wait_for(lambda: not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in family), 10,
             "every process `up` started to end")


def test_up_runs_tasks_and_stops_everything_it_started(tmp_path):
    home, log = tmp_path / "home", tmp_path / "up.log"
    graph = tmp_path / "g.json"
    graph.write_text(json.dumps(tiny_graph()))
    process = start_up(home, log)
    try:
        assert (home / "redis" / "url").exists()
        second = subprocess.run([sys.executable, "-m", "dragdl_core", "up", "--no-app", "--home", str(home)],
                                env=environment(home), cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert second.returncode == 2 and "already running" in second.stderr

        submitted = cli(home, "submit", str(graph), "--user", "ada", "--json")
        assert submitted.returncode == 0, submitted.stderr
        task_id = json.loads(submitted.stdout)["id"]
        wait_for(lambda: json.loads(cli(home, "status", task_id, "--json").stdout)["state"] == "succeeded",
                 120, "the task to succeed")
    finally:
        stop_and_check_nothing_left(process, log, signal.SIGINT)
    assert not (home / "redis" / "url").exists()
    assert cli(home, "list").returncode == 2  # nothing running: one clear line
    assert "dragdl_core up" in cli(home, "list").stderr

    process = start_up(home, log)  # the records outlive the restart of Redis, workers and all
    try:
        listing = json.loads(cli(home, "list", "--json").stdout)
        assert [(t["id"], t["state"]) for t in listing] == [(task_id, "succeeded")]
    finally:
        stop_and_check_nothing_left(process, log, signal.SIGTERM)

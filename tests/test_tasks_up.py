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


def submit(home, graph_path):
    submitted = cli(home, "submit", str(graph_path), "--user", "ada", "--json")
    assert submitted.returncode == 0, submitted.stderr
    return json.loads(submitted.stdout)["id"]


def status(home, task_id):
    return json.loads(cli(home, "status", task_id, "--json").stdout)


def test_up_runs_tasks_stops_everything_and_resumes_after_a_restart(tmp_path):
    home, log = tmp_path / "home", tmp_path / "up.log"
    tiny, long = tmp_path / "tiny.json", tmp_path / "long.json"
    tiny.write_text(json.dumps(tiny_graph()))
    long.write_text(json.dumps(tiny_graph(limit_per_class=60, epochs=10)))
    process = start_up(home, log)
    try:
        assert (home / "redis" / "url").stat().st_mode & 0o077 == 0  # holds the Redis password
        second = subprocess.run([sys.executable, "-m", "dragdl_core", "up", "--no-app", "--home", str(home)],
                                env=environment(home), cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert second.returncode == 2 and "already running" in second.stderr

        quick = submit(home, tiny)
        wait_for(lambda: status(home, quick)["state"] == "succeeded", 120, "the tiny task to succeed")
        slow = submit(home, long)
        run_dir = home / "runs" / "ada" / slow
        wait_for(lambda: (run_dir / "checkpoints" / "state.json").exists(), 120, "a finished epoch")
    finally:
        stop_and_check_nothing_left(process, log, signal.SIGINT)  # Ctrl-C, mid-training
    assert not (home / "redis" / "url").exists()
    stopped = cli(home, "list")
    assert stopped.returncode == 2 and "dragdl_core up" in stopped.stderr  # one clear line

    process = start_up(home, log)  # the records outlive Redis, the workers and `up` itself
    try:
        assert status(home, quick)["state"] == "succeeded"
        wait_for(lambda: status(home, slow)["state"] == "succeeded", 120, "the interrupted task to finish")
        text = cli(home, "logs", slow).stdout
        assert "shut down: queued again" in text and "resumed from the checkpoint after epoch" in text
    finally:
        stop_and_check_nothing_left(process, log, signal.SIGTERM)

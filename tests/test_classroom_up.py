"""`up --config FILE`: a class's instance from its file - home, workers, limits - whatever the shell says."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from conftest import ROOT
from dragdl_core.cli import main
from task_service import tiny_graph, wait_for


@pytest.fixture
def restored_environment(monkeypatch):
    """`up` runs in this process here and writes the class's settings into os.environ: undo that after."""
    for name in ("DRAGDL_CONFIG", "DRAGDL_HOME", "DRAGDL_DATASETS", "REDIS_URL", "DRAGDL_USERS",
                 "DRAGDL_TASK_MEMORY_MB", "DRAGDL_TASK_TIME_LIMIT"):
        monkeypatch.setenv(name, os.environ.get(name, ""))


def test_a_broken_class_file_stops_up_with_one_line(tmp_path, capsys, restored_environment):
    config = tmp_path / "class.toml"
    config.write_text('name = "CS 101"\n[limits]\nmax_epochs = 0\n')
    assert main(["up", "--config", str(config), "--no-app"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"error: {config}: limits.max_epochs: must be greater than or equal to 1, got 0"


def test_home_comes_from_the_class_file_only(tmp_path, capsys, restored_environment):
    config = tmp_path / "class.toml"
    config.write_text('name = "CS 101"\n')
    assert main(["up", "--config", str(config), "--home", str(tmp_path / "elsewhere"), "--no-app"]) == 2
    assert "set `home` in the class file" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_up_with_a_class_file_runs_the_class_from_it(tmp_path):
    home = tmp_path / "cs101"
    config = tmp_path / "class.toml"
    config.write_text('name = "CS 101"\nhome = "cs101"\nworkers = 1\nredis_url = ""\n'
                      '[limits]\nmax_epochs = 2\n')
    env = {k: v for k, v in os.environ.items() if k not in ("DRAGDL_HOME", "DRAGDL_CONFIG")}
    env.update(PYTHONPATH=str(ROOT), PYTHONWARNINGS="ignore", REDIS_URL="redis://127.0.0.1:9/0")  # a dead one
    log = tmp_path / "up.log"
    process = subprocess.Popen([sys.executable, "-m", "dragdl_core", "up", "--config", str(config), "--no-app"],
                               env=env, cwd=ROOT, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: "is running" in log.read_text() or process.poll() is not None, 90, "up to start")
        assert process.poll() is None, log.read_text()
        text = log.read_text()
        assert f"home       {home}" in text and "workers    1 x" in text and "class      CS 101" in text
        assert "no instructor account yet" in text               # the class has no accounts

        graph = tmp_path / "g.json"
        client_env = dict(env, DRAGDL_CONFIG=str(config))
        client_env.pop("REDIS_URL")

        def cli(*args):
            return subprocess.run([sys.executable, "-m", "dragdl_core", "tasks", *args], env=client_env,
                                  cwd=ROOT, capture_output=True, text=True, timeout=60)

        graph.write_text(json.dumps(tiny_graph(epochs=2)))
        submitted = cli("submit", str(graph), "--user", "ada", "--json")
        assert submitted.returncode == 0, submitted.stderr
        task_id = json.loads(submitted.stdout)["id"]
        wait_for(lambda: json.loads(cli("status", task_id, "--json").stdout)["state"] == "succeeded", 120,
                 "the task to succeed")
        assert (home / "runs" / "ada" / task_id / "report.json").exists()      # in the class's home
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(60) == 0, log.read_text()

"""Sweeps: a grid of ordinary tasks trained by real workers, TPE proposals inside their ranges, the class's
quota counted per task, and every varied value checked against its parameter's declaration."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from classroom import write_class
from conftest import ROOT
from dragdl_core import tasks
from dragdl_core.tasks import sweeps
from task_service import Workers, redis_server, start_redis, tiny_graph, wait_for  # noqa: F401  (fixture)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]


def cli(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONWARNINGS="ignore")
    return subprocess.run([sys.executable, "-m", "dragdl_core", "tasks", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=180)


def test_a_2x2_grid_sweep_runs_through_real_workers_and_is_listed_best_first(tmp_path, monkeypatch):
    server = start_redis(tmp_path / "redis")
    monkeypatch.setenv("REDIS_URL", server.url)
    workers = Workers(2, tmp_path / "workers")
    try:
        graph = tmp_path / "g.json"
        graph.write_text(json.dumps(tiny_graph(limit_per_class=20, epochs=2)))
        out = cli("sweep", str(graph), "--vary", "train.learning_rate=0.01,0.0001",
                  "--vary", "conv1.out_channels=4,16", "--user", "ada", "--json")
        assert out.returncode == 0, out.stderr
        queued = json.loads(out.stdout)
        sweep_id, ids = queued["sweep"], queued["tasks"]
        assert len(ids) == 4 and len(set(ids)) == 4
        wait_for(lambda: all(tasks.status(t)["state"] in tasks.FINAL_STATES for t in ids), 300,
                 "the sweep's four tasks to finish")
        listed = cli("list", "--sweep", sweep_id, "--json")
        assert listed.returncode == 0, listed.stderr
        rows = json.loads(listed.stdout)
        assert sorted(r["id"] for r in rows) == sorted(ids) and {r["state"] for r in rows} == {"succeeded"}
        combos = {(r["values"]["train.learning_rate"], r["values"]["conv1.out_channels"]) for r in rows}
        assert combos == {(0.01, 4), (0.01, 16), (0.0001, 4), (0.0001, 16)}
        accuracies = [r["val_accuracy"] for r in rows]
        assert accuracies == sorted(accuracies, reverse=True) and all(a is not None for a in accuracies)
        # each is an ordinary task whose graph carries its combination
        for row in rows:
            graph_run = json.loads((Path(row["run_dir"]) / "graph.json").read_text())
            nodes = {n["id"]: n["params"] for n in graph_run["nodes"]}
            assert nodes["conv1"]["out_channels"] == row["values"]["conv1.out_channels"]
        everyone = json.loads(cli("list", "--json").stdout)
        assert sum(t.get("sweep") == sweep_id for t in everyone) == 4
        # the whole sweep is retried or stopped by its id: nothing left to retry here
        assert cli("retry", sweep_id).returncode == 0
        assert all(tasks.status(t)["state"] == "succeeded" for t in ids)
    finally:
        workers.stop()
        server.stop()


def test_a_tpe_sweep_of_4_trials_proposes_values_inside_the_ranges(redis_server, tmp_path):
    graph = tmp_path / "g.json"
    graph.write_text(json.dumps(tiny_graph()))
    out = cli("sweep", str(graph), "--search", "tpe", "--trials", "4", "--seed", "1",
              "--vary", "train.learning_rate=0.0001..0.1,log", "--vary", "conv1.out_channels=4..32",
              "--vary", "train.optimizer=adam,sgd", "--json")
    assert out.returncode == 0, out.stderr
    queued = json.loads(out.stdout)
    assert len(queued["tasks"]) == 4
    record = sweeps.read(queued["sweep"])
    values = [t["values"] for t in record["tasks"]]
    assert all(0.0001 <= v["train.learning_rate"] <= 0.1 for v in values)
    assert all(isinstance(v["conv1.out_channels"], int) and 4 <= v["conv1.out_channels"] <= 32 for v in values)
    assert all(v["train.optimizer"] in ("adam", "sgd") for v in values)
    assert len({v["train.learning_rate"] for v in values}) == 4  # proposals, not one point four times
    for task_id, value in zip(queued["tasks"], values):
        run_graph = json.loads((tasks.run_dir(task_id) / "graph.json").read_text())
        nodes = {n["id"]: n["params"] for n in run_graph["nodes"]}
        assert nodes["train"]["learning_rate"] == value["train.learning_rate"]
    import optuna
    study = optuna.load_study(study_name=queued["sweep"], storage=sweeps.study_storage(queued["sweep"]))
    assert len(study.trials) == 4  # the study lives in the instance (SQLite under DRAGDL_HOME)
    assert sweeps.study_storage(queued["sweep"]).startswith(f"sqlite:///{os.environ['DRAGDL_HOME']}")
    # the whole sweep stops by its id
    assert cli("stop", queued["sweep"]).returncode == 0
    assert {tasks.status(t)["state"] for t in queued["tasks"]} == {"stopped"}


def test_the_class_quota_counts_each_task_of_a_sweep(redis_server, isolated_home, monkeypatch):
    write_class(isolated_home, monkeypatch, max_tasks_per_user=3)
    with pytest.raises(tasks.LimitExceeded, match="this sweep has 4 tasks and you have 0 queued or running; "
                                                  "this class allows 3"):
        sweeps.submit_sweep(tiny_graph(), "ada", ["train.learning_rate=0.01,0.001",
                                                  "conv1.out_channels=4,8"], actor="ada")
    assert tasks.list_tasks("ada") == []  # nothing queued: a sweep is queued whole or not at all
    tasks.submit(tiny_graph(), "ada", actor="ada")
    with pytest.raises(tasks.LimitExceeded, match="this sweep has 3 tasks and you have 1"):
        sweeps.submit_sweep(tiny_graph(), "ada", ["train.learning_rate=0.01,0.001,0.1"], actor="ada")
    done = sweeps.submit_sweep(tiny_graph(), "ada", ["train.learning_rate=0.01,0.001"], actor="ada")
    assert len(done["tasks"]) == 2 and len(tasks.list_tasks("ada")) == 3
    with pytest.raises(tasks.LimitExceeded):
        tasks.submit(tiny_graph(), "ada", actor="ada")  # the sweep's tasks count like any other


@pytest.mark.parametrize("vary, message", [
    ("conv1.kernel_size=3,0", "conv1.kernel_size"),
    ("conv9.kernel_size=3", "no node 'conv9'"),
    ("conv1.colour=3", "conv1.colour: Conv2D has no parameter 'colour'"),
    ("train.optimizer=adam,nadam2", "train.optimizer"),
    ("train.learning_rate", "expected NODE.PARAM=V1,V2"),
    ("train.learning_rate=0.1..0.5", "needs --search tpe"),
])
def test_each_varied_value_is_checked_against_its_declaration(tmp_path, vary, message):
    graph = tmp_path / "g.json"
    graph.write_text(json.dumps(tiny_graph()))
    out = cli("sweep", str(graph), "--vary", vary)
    assert out.returncode == 2, out.stderr
    assert message in out.stderr and "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1

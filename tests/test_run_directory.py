"""The run directory has one owner, dragdl_core/rundir.py: its file names live there alone, its writes are
whole-or-nothing and keep (or set) the file mode, status writes keep what training recorded, and the task
list built from it is the same for the command line and the app."""
from __future__ import annotations

import ast
import json
import os
import stat
import subprocess
import sys

import pytest

from conftest import ROOT
from dragdl_core import rundir
from dragdl_core.tasks import ServiceUnavailable, listing
from task_service import redis_server, tiny_graph  # noqa: F401  (fixture)

# File names only a run directory has (graph.json and meta.json also name an assignment folder's files).
RUN_DIR_NAMES = {rundir.STATUS, rundir.METRICS, rundir.LOG, rundir.REPORT, rundir.TASK, rundir.SCRIPT,
                 rundir.TEST_PREDICTIONS, rundir.CHECKPOINTS, rundir.MISCLASSIFIED_DIR, rundir.CHECKPOINT_MODEL,
                 rundir.CHECKPOINT_OPTIMIZER, rundir.CHECKPOINT_BEST}


def string_literals(path):
    """Whole string constants in code, docstrings left out (they may explain the layout in words)."""
    tree = ast.parse(path.read_text())
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    return {node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings}


def test_run_directory_file_names_are_spelled_in_one_module():
    owner = ROOT / "dragdl_core" / "rundir.py"
    files = [p for folder in ("dragdl_core", "app", "pages") for p in (ROOT / folder).rglob("*.py")]
    files.append(ROOT / "worker.py")
    spelled = {str(p.relative_to(ROOT)): sorted(string_literals(p) & RUN_DIR_NAMES)
               for p in files if p != owner and string_literals(p) & RUN_DIR_NAMES}
    assert spelled == {}
    assert RUN_DIR_NAMES <= string_literals(owner)  # the check above is not vacuous


def test_atomic_write_keeps_or_sets_the_mode_and_leaves_no_temporary_file(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    path = folder / "status.json"
    rundir.atomic_write(path, "{}", mode=0o600)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    rundir.atomic_write(path, '{"state": "running"}')      # rewritten: still private
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {"state": "running"}
    rundir.atomic_write(path, b"{}", mode=0o644)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert sorted(p.name for p in folder.iterdir()) == ["status.json"]


def test_status_writes_keep_what_training_recorded(tmp_path):
    tmp_path = tmp_path / "run"
    tmp_path.mkdir()
    rundir.write_status(tmp_path, "running", merge=False, epoch=2, epochs=5, progress=0.4)
    rundir.write_status(tmp_path, "failed", error="worker lost")
    status = rundir.read_status(tmp_path)
    assert (status["state"], status["epoch"], status["progress"], status["error"]) == ("failed", 2, 0.4, "worker lost")
    rundir.write_status(tmp_path, "queued")                 # retried: the old error goes, the epoch stays
    status = rundir.read_status(tmp_path)
    assert status["state"] == "queued" and "error" not in status and status["epoch"] == 2
    rundir.write_status(tmp_path / "gone", "stopped")       # a deleted run: nothing is created
    assert not (tmp_path / "gone").exists()


def test_log_lines_and_metrics_have_one_format(tmp_path):
    tmp_path = tmp_path / "run"
    tmp_path.mkdir()
    rundir.append_log(tmp_path, "task queued again")
    rundir.append_metric(tmp_path, "epoch", epoch=0, val_accuracy=0.5)
    line = rundir.log_tail(tmp_path)
    assert line.endswith(" task queued again") and line[2] == ":" and line[5] == ":"
    assert rundir.read_metrics(tmp_path).epochs[0]["val_accuracy"] == 0.5


def disk_run(home, user="ada", name="my-cli-run"):
    """A run trained with `python -m dragdl_core run --run-dir <home>/runs/<user>/<name>`: no task record."""
    folder = home / "runs" / user / name
    folder.mkdir(parents=True)
    (folder / rundir.GRAPH).write_text(json.dumps({"name": "by hand"}))
    rundir.write_status(folder, "succeeded", merge=False, epoch=1, epochs=1, accuracy=0.75)
    return folder


def test_without_redis_the_runs_on_disk_are_still_listed_for_the_app(isolated_home, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    disk_run(isolated_home)
    shown = listing.list_tasks("ada", offline=True)
    assert [(t["id"], t["name"], t["state"], t["read_only"], t["accuracy"]) for t in shown] == [
        ("my-cli-run", "by hand", "succeeded", True, 0.75)]
    assert listing.status("my-cli-run", "ada")["run_dir"] == str(isolated_home / "runs" / "ada" / "my-cli-run")
    with pytest.raises(ServiceUnavailable):                 # the command line says Redis is not running
        listing.list_tasks("ada")
    assert listing.list_tasks("bob", offline=True) == []    # another user's runs are not ada's


def test_tasks_list_shows_what_the_app_shows(redis_server, isolated_home):
    from dragdl_core import tasks

    queued = tasks.submit(tiny_graph(), "ada")
    disk_run(isolated_home)
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONWARNINGS="ignore")
    out = subprocess.run([sys.executable, "-m", "dragdl_core", "tasks", "list", "--user", "ada", "--json"],
                         env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    from_cli = {t["id"]: t.get("read_only", False) for t in json.loads(out.stdout)}
    assert from_cli == {queued: False, "my-cli-run": True}
    assert {t["id"] for t in listing.list_tasks("ada", offline=True)} == set(from_cli)  # what the app lists


def test_training_draws_a_tqdm_bar_per_epoch_and_writes_the_run_directory(tmp_path, python_env):
    from conftest import tiny_digits_graph
    from dragdl_core import compile_graph

    run = tmp_path / "run"
    script = tmp_path / "train.py"
    script.write_text(compile_graph(tiny_digits_graph(epochs=2)))
    out = subprocess.run([sys.executable, str(script), "--run-dir", str(run), "--progress"], env=python_env,
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "epoch 1/2: 100%|" in out.stderr and "epoch 2/2: 100%|" in out.stderr and "loss=" in out.stderr
    status = rundir.read_status(run)
    assert (status["state"], status["epoch"], status["progress"]) == ("succeeded", 2, 1.0)
    assert rundir.read_report(run)["accuracy"] > 0.5  # ten classes: chance is 0.1
    assert [e["epoch"] for e in rundir.read_metrics(run).epochs] == [0, 1]
    assert rundir.model_path(run).is_file() and rundir.checkpoint(run, rundir.CHECKPOINT_STATE).is_file()

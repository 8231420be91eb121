"""Every optimizer and schedule trains; early stopping stops. In-process, on a few Digits per class."""
import json
import runpy
import sys

import pytest

from conftest import tiny_digits_graph
from dragdl_core.compiler.codegen import compile_graph

pytestmark = pytest.mark.slow


def run_in_process(tmp_path, graph):
    script = tmp_path / "train.py"
    script.write_text(compile_graph(graph))
    argv = sys.argv
    sys.argv = [str(script), "--run-dir", str(tmp_path / "run")]
    try:
        runpy.run_path(str(script), run_name="__main__")
    finally:
        sys.argv = argv
    return tmp_path / "run"


@pytest.mark.parametrize("optimizer, schedule, lr", [
    ("sgd", "step", 0.1), ("momentum", "cosine", 0.05), ("adam", "constant", 0.003), ("adamw", "cosine", 0.003),
])
def test_each_optimizer_and_schedule_learns(tmp_path, optimizer, schedule, lr):
    graph = tiny_digits_graph(epochs=3, optimizer=optimizer, lr_schedule=schedule, learning_rate=lr,
                              weight_decay=0.0001, batch_size=16)
    graph["nodes"][0]["params"]["limit_per_class"] = 40
    run_dir = run_in_process(tmp_path, graph)
    report = json.loads((run_dir / "report.json").read_text())
    assert report["accuracy"] > 0.3, report["accuracy"]  # ten classes: chance is 0.1
    lrs = [json.loads(line)["lr"] for line in (run_dir / "metrics.jsonl").read_text().splitlines()
           if '"step"' in line]
    assert (lrs[0] == lrs[-1]) == (schedule == "constant")


def test_early_stopping_stops_when_validation_stops_improving(tmp_path):
    graph = tiny_digits_graph(epochs=6, optimizer="sgd", learning_rate=1e-7, early_stopping_patience=1)
    graph["nodes"][0]["params"]["limit_per_class"] = 20
    run_dir = run_in_process(tmp_path, graph)
    epochs = [json.loads(line)["epoch"] for line in (run_dir / "metrics.jsonl").read_text().splitlines()
              if '"kind": "epoch"' in line]
    assert len(epochs) < 6
    assert "early stopping" in (run_dir / "log.txt").read_text()

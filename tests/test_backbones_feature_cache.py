"""Frozen-feature caching: training the head on features computed once gives what training the whole
model on images gives - the same losses, the same test predictions - and the exported model still takes images."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from backbone_graphs import backbone_graph
from conftest import ROOT
from dragdl_core import tasks
from task_service import Workers, redis_server, wait_for  # noqa: F401  (redis_server is a fixture)


def train(tmp_path, python_env, cache: bool):
    graph = backbone_graph("shufflenet_v2_x0_25", freeze="features", cache_features=cache,
                           head={"hidden_units": 16, "dropout": 0.3},
                           trainer={"epochs": 2, "batch_size": 16, "learning_rate": 0.01, "seed": 3})
    name = "cached" if cache else "uncached"
    (tmp_path / f"{name}.json").write_text(json.dumps(graph))
    run_dir = tmp_path / name
    subprocess.run([sys.executable, "-m", "dragdl_core", "run", str(tmp_path / f"{name}.json"), "--run-dir",
                    str(run_dir)], cwd=ROOT, env=python_env, check=True, capture_output=True, timeout=300)
    epochs = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()
              if json.loads(line)["kind"] == "epoch"]
    return run_dir, epochs


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_cached_features_train_the_head_exactly_like_the_full_model(tmp_path, python_env):
    cached_dir, cached = train(tmp_path, python_env, cache=True)
    uncached_dir, uncached = train(tmp_path, python_env, cache=False)
    assert "FeatureLoader" in (cached_dir / "train.py").read_text()
    assert "FeatureLoader" not in (uncached_dir / "train.py").read_text()
    assert len(cached) == len(uncached) == 2
    for a, b in zip(cached, uncached):
        for key in ("train_loss", "train_accuracy", "val_loss", "val_accuracy"):
            assert a[key] == pytest.approx(b[key], abs=2e-4), key
    a = np.load(cached_dir / "test_predictions.npz")
    b = np.load(uncached_dir / "test_predictions.npz")
    np.testing.assert_allclose(a["probabilities"], b["probabilities"], atol=1e-4)
    report = json.loads((cached_dir / "report.json").read_text())
    assert report["trainable_parameters"] == 512 * 16 + 16 + 16 * 4 + 4  # the head only

    from PIL import Image
    from dragdl_core.runtime.predict import Predictor

    Image.new("RGB", (32, 32), (200, 30, 30)).save(tmp_path / "red.png")
    prediction = Predictor(cached_dir).predict(tmp_path / "red.png")  # the exported model takes images
    expected = Predictor(uncached_dir).predict(tmp_path / "red.png").probabilities
    assert prediction.probabilities == pytest.approx(expected, abs=1e-4)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_worker_trains_a_frozen_backbone_task_and_logs_what_was_trainable(tmp_path, isolated_home, redis_server):
    workers = Workers(1, tmp_path / "workers", DRAGDL_HOME=str(isolated_home))
    try:
        task_id = tasks.submit(backbone_graph("shufflenet_v2_x0_25", trainer={"epochs": 2, "batch_size": 16}),
                               "ada")
        done = wait_for(lambda: (s := tasks.status(task_id))["state"] in tasks.FINAL_STATES and s, 200,
                        "the backbone task to finish")
    finally:
        workers.stop()
    log = tasks.logs(task_id)
    assert done["state"] == "succeeded", log
    assert "backbone shufflenet_v2_x0_25 (weights: none, freeze: features): 94,712 parameters, 0 trainable" in log
    assert "computed once" in log
    report = json.loads((tasks.run_dir(task_id) / "report.json").read_text())
    assert report["trainable_parameters"] == 512 * 4 + 4

"""Resuming a run directory in-process, fast: what a checkpoint restores and which metrics survive. The
killed-process test in test_training.py shows the same end to end; this one pins each field (mutation
testing found them unchecked: benchmarks/mutation.py)."""
import json
import time

import numpy as np
import pytest

paddle = pytest.importorskip("paddle")
from dragdl_core import rundir  # noqa: E402
from dragdl_core.runtime.training import Run  # noqa: E402


def model_and_optimizer(seed):
    """A tiny model with the parameter names a fresh process would give it (as a resumed script has)."""
    paddle.seed(seed)
    with paddle.utils.unique_name.guard():
        model = paddle.nn.Linear(3, 2)
        optimizer = paddle.optimizer.Adam(learning_rate=0.01, parameters=model.parameters())
        loss = model(paddle.ones([4, 3]) * (seed + 1)).sum()  # moments differ from seed to seed
        loss.backward()
        optimizer.step()  # the optimizer has moments to save
        optimizer.clear_grad()
    return model, optimizer


def records(run_dir):
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def test_a_checkpoint_restores_weights_optimizer_counters_and_drops_the_unfinished_epoch(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a stray relative path (a file named "None") must not be found elsewhere
    first = Run(tmp_path, epochs=5, seed=1)
    model, optimizer = model_and_optimizer(1)
    for epoch in range(3):
        first.metric("step", epoch=epoch, step=10 * epoch + 5, loss=1.0)
        first.metric("epoch", epoch=epoch, train_loss=1.0)
    first.epoch, first.step, first.best_val, first.bad_epochs = 2, 20, 0.75, 1
    first._checkpoint(model, optimizer)  # after epoch index 1: epochs 0 and 1 are done
    first.metric("step", epoch=2, step=25, loss=1.0)  # then killed during epoch index 2
    assert json.loads((tmp_path / "checkpoints" / "state.json").read_text())["seed"] == 1
    assert not list((tmp_path / "checkpoints").glob("*.tmp"))

    resumed = Run(tmp_path, epochs=5, seed=1)
    fresh_model, fresh_optimizer = model_and_optimizer(2)
    assert resumed.resume(fresh_model, fresh_optimizer) == 2
    assert (resumed.epoch, resumed.step, resumed.best_val, resumed.bad_epochs) == (2, 20, 0.75, 1)
    for saved, loaded in zip(model.parameters(), fresh_model.parameters()):
        np.testing.assert_array_equal(saved.numpy(), loaded.numpy())
    saved_state, loaded_state = optimizer.state_dict(), fresh_optimizer.state_dict()
    moments = [k for k in saved_state if "moment1" in k]
    assert moments and all(np.array_equal(saved_state[k].numpy(), loaded_state[k].numpy()) for k in moments)
    assert [(r["kind"], r["epoch"]) for r in records(tmp_path)] == [("step", 0), ("epoch", 0),
                                                                    ("step", 1), ("epoch", 1)]
    assert "resumed from the checkpoint after epoch 2" in (tmp_path / "log.txt").read_text()


def test_without_a_checkpoint_a_run_starts_at_epoch_zero_and_keeps_its_metrics(tmp_path):
    run = Run(tmp_path, epochs=2, seed=0)
    run.metric("step", epoch=0, step=1, loss=1.0)
    model, optimizer = model_and_optimizer(0)
    assert run.resume(model, optimizer) == 0
    assert run.epoch == 0 and len(records(tmp_path)) == 1


def test_a_resumed_run_says_how_far_it_was_and_when_it_resumed(tmp_path):
    """The task list's ETA measures a resumed run's speed from the resume on (tasks/service.py reads these):
    the share of epochs already done, to 4 places, and the time of the resume, to the millisecond."""
    first = Run(tmp_path, epochs=3, seed=0)
    first.epoch = 2
    first._checkpoint(*model_and_optimizer(0))
    resumed = Run(tmp_path, epochs=3, seed=0)
    before = time.time()
    assert resumed.resume(*model_and_optimizer(0)) == 2
    after = time.time()
    resumed.status("running")
    status = rundir.read_status(tmp_path)
    assert status["resumed_progress"] == 0.6667
    assert before - 0.0005 <= status["resumed_at"] <= after + 0.0005
    assert status["resumed_at"] == round(status["resumed_at"], 3)

"""The generated script, run as its own process, trains for real: accuracy, resume, prediction."""
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, example, tiny_digits_graph
from dragdl_core.compiler.codegen import compile_graph

pytestmark = pytest.mark.slow


def write_run(tmp_path, graph, name="run"):
    run_dir = tmp_path / name
    run_dir.mkdir()
    (run_dir / "graph.json").write_text(json.dumps(graph))
    (run_dir / "train.py").write_text(compile_graph(graph))
    return run_dir


def train(run_dir, env, **kwargs):
    return subprocess.run([sys.executable, str(run_dir / "train.py"), "--run-dir", str(run_dir)],
                          env=env, capture_output=True, text=True, timeout=600, **kwargs)


def epochs_logged(run_dir):
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [r["epoch"] for r in records if r["kind"] == "epoch"]


def steps_logged(run_dir):
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [(r["epoch"], r["step"]) for r in records if r["kind"] == "step"]


def kill_after_a_checkpoint(run_dir, env, into_next_epoch: bool = False):
    """Start the run's train.py and SIGKILL it once a checkpoint exists (with `into_next_epoch`, once the next
    epoch has logged records too); the checkpoint's state.json, read after the kill."""
    proc = subprocess.Popen([sys.executable, str(run_dir / "train.py"), "--run-dir", str(run_dir)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state = run_dir / "checkpoints" / "state.json"
    deadline = time.time() + 300
    while not state.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.01)
    while into_next_epoch and time.time() < deadline and proc.poll() is None and not records_after_checkpoint(run_dir):
        time.sleep(0.01)  # into the next epoch: step records the resumed run must drop
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (run_dir / "report.json").exists(), "the run finished before it could be killed"
    return json.loads(state.read_text())


def records_after_checkpoint(run_dir) -> bool:
    """Whether metrics.jsonl holds records of the epoch after the last checkpoint (a half-finished one)."""
    try:
        done = json.loads((run_dir / "checkpoints" / "state.json").read_text())["epoch"]
        lines = (run_dir / "metrics.jsonl").read_text().splitlines()
        return any(json.loads(line).get("epoch", 0) >= done for line in lines if line.endswith("}"))
    except (OSError, ValueError):
        return False


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    """One real 3-epoch Digits run shared by the tests below (it takes a few seconds on 2 cores)."""
    import os
    tmp_path = tmp_path_factory.mktemp("digits")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore:No ccache found"}
    run_dir = write_run(tmp_path, tiny_digits_graph(epochs=3))
    done = train(run_dir, env)
    assert done.returncode == 0, done.stderr[-3000:]
    return run_dir


def test_digits_reaches_90_percent_test_accuracy(digits_run):
    report = json.loads((digits_run / "report.json").read_text())
    assert report["accuracy"] >= 0.90, report["accuracy"]
    assert len(report["confusion_matrix"]) == 10 and sum(map(sum, report["confusion_matrix"])) > 300
    assert set(report["per_class"]["7"]) >= {"precision", "recall", "f1"}
    assert json.loads((digits_run / "status.json").read_text())["state"] == "succeeded"


def test_metrics_hold_steps_epochs_and_the_test_result(digits_run):
    records = [json.loads(line) for line in (digits_run / "metrics.jsonl").read_text().splitlines()]
    kinds = {r["kind"] for r in records}
    assert kinds == {"step", "epoch", "test"}
    epochs = [r for r in records if r["kind"] == "epoch"]
    assert [r["epoch"] for r in epochs] == [0, 1, 2]
    assert epochs[-1]["train_loss"] < epochs[0]["train_loss"]
    assert all(r["images_per_sec"] > 0 and r["rss_mb"] > 0 and "time" in r for r in epochs)
    steps = [r for r in records if r["kind"] == "step"]
    assert all(r["step_time"] > 0 and 0 <= r["accuracy"] <= 1 for r in steps)


def test_prediction_gives_the_probabilities_evaluation_gave(digits_run, python_env, tmp_path):
    from dragdl_core.runtime.datasets import digits, to_pil

    saved = np.load(digits_run / "test_predictions.npz")
    data = digits(val_ratio=0.1, test_ratio=0.2, seed=0)
    paths = []
    for index in (0, 1, 17):
        path = tmp_path / f"test{index}.png"
        to_pil(data.test.images[index]).save(path)
        paths.append(str(path))
    out = subprocess.run([sys.executable, "-m", "dragdl_core", "predict", str(digits_run), *paths, "--json"],
                         env=python_env, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    answers = json.loads(out.stdout)
    assert len(answers) == 3
    for answer, index in zip(answers, (0, 1, 17)):
        expected = saved["probabilities"][index]
        got = np.array([answer["probabilities"][str(c)] for c in range(10)])
        np.testing.assert_allclose(got, expected, atol=1e-5)
        assert answer["top"] == str(int(saved["predicted"][index])) == str(int(np.argmax(expected)))
    assert sum(a["top"] == str(data.test.labels[i]) for a, i in zip(answers, (0, 1, 17))) >= 2  # 90%+ model


def test_predict_refuses_a_file_that_is_not_an_image(digits_run, python_env, tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("hello")
    out = subprocess.run([sys.executable, "-m", "dragdl_core", "predict", str(digits_run), str(bad)],
                         env=python_env, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines()[-1].startswith(f"error: {bad}: not an image")
    assert "Traceback" not in out.stderr


def test_a_killed_run_resumes_from_its_checkpoint_and_counts_each_epoch_once(tmp_path, python_env):
    graph = tiny_digits_graph(epochs=4, batch_size=16)
    reference = write_run(tmp_path, graph, "reference")
    assert train(reference, python_env).returncode == 0

    run_dir = write_run(tmp_path, graph, "killed")
    checkpoint = kill_after_a_checkpoint(run_dir, python_env, into_next_epoch=True)
    finished_before_kill = checkpoint["epoch"]
    assert finished_before_kill >= 1
    with open(run_dir / "metrics.jsonl", "a") as metrics:  # the kill may land right after a checkpoint: a
        metrics.write(json.dumps({"kind": "step", "epoch": finished_before_kill,  # half-done epoch for sure
                                  "step": checkpoint["step"] + 1, "loss": 9.9, "time": time.time()}) + "\n")

    resumed = train(run_dir, python_env)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert epochs_logged(run_dir) == [0, 1, 2, 3]
    assert steps_logged(run_dir) == steps_logged(reference)     # each step once, none from the killed epoch
    assert f"resumed from the checkpoint after epoch {finished_before_kill}" in (run_dir / "log.txt").read_text()
    np.testing.assert_allclose(np.load(run_dir / "test_predictions.npz")["probabilities"],
                               np.load(reference / "test_predictions.npz")["probabilities"], atol=1e-4)


def test_augmented_shapes_learn_above_chance(tmp_path, python_env):
    graph = example("shapes-augment.json")
    graph["nodes"][0]["params"].update({"samples_per_class": 60, "image_size": 24})
    next(n for n in graph["nodes"] if n["id"] == "resize")["params"]["size"] = [24, 24]
    graph["nodes"][-1]["params"]["epochs"] = 4
    run_dir = write_run(tmp_path, graph)
    done = train(run_dir, python_env)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((run_dir / "report.json").read_text())
    assert report["accuracy"] > 0.5  # four classes: chance is 0.25


def test_a_lambda_that_fails_on_real_data_fails_the_run_with_its_message(tmp_path, python_env):
    graph = example("shapes-augment.json")
    graph["nodes"][0]["params"].update({"samples_per_class": 10})
    graph["nodes"][-1]["params"]["epochs"] = 1
    run_dir = write_run(tmp_path, graph)
    # Validation runs every Lambda on its real input shape, so a valid graph cannot fail this way; edit the
    # script as a student might, so that the expression raises on the first real image.
    script = run_dir.joinpath("train.py").read_text()
    run_dir.joinpath("train.py").write_text(script.replace("SafeLambda('clip(x + 0.05 * sin(40 * x), 0, 1)')",
                                                           "SafeLambda('x[:, :, 5]')"))
    done = train(run_dir, python_env)
    assert done.returncode != 0
    status = json.loads((run_dir / "status.json").read_text())
    assert status["state"] == "failed" and "x[:, :, 5]" in status["error"]
    assert "x[:, :, 5]" in (run_dir / "log.txt").read_text()

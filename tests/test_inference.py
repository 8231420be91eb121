"""The inference path gives the results eager Paddle gives: every backbone arch and every layer node type,
run eagerly, through run_layer (feature caching, evaluation) and on a saved model's oneDNN predictor
(prediction), agree within 1e-4 (relative to the output's scale). An arch that cannot run on the predictor must be listed in docs/models.md with the reason."""
from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from conftest import ROOT
from dragdl_core import backbones as catalog
from dragdl_core.compiler import registry
from dragdl_core.compiler.codegen import compile_graph
from dragdl_core.compiler.validate import analyze

ARCHS = catalog.names()
LAYERS = sorted(t for t in registry.node_types() if registry.get(t).category in ("layer", "head"))
RELATIVE = 1e-4


def assert_same(result, eager, label):
    scale = float(np.abs(eager).max()) or 1.0
    worst = float(np.abs(result - eager).max()) / scale
    assert result.shape == eager.shape, label
    assert worst <= RELATIVE, f"{label}: differs from eager by {worst:.2e} of the output's scale"


def three_ways(model, x, tmp_path, what):
    """(eager, run_layer, saved model) outputs of `model` for `x`, and the saved model's engine."""
    import paddle
    from dragdl_core.runtime import inference

    model.eval()
    with paddle.no_grad():
        eager = model(paddle.to_tensor(x)).numpy()
    live = np.concatenate(list(inference.run_layer(model, [x], images=len(x), frozen=True, what=what)))
    spec = paddle.static.InputSpec([None, *x.shape[1:]], "float32", name="image")
    paddle.jit.save(model, str(tmp_path / "model"), input_spec=[spec])
    saved = inference.SavedModel(tmp_path / "model", what=what, engine="predictor")
    return eager, live, saved.run(x), saved.engine


def documented_fallbacks() -> str:
    return (ROOT / "docs" / "models.md").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("arch", ARCHS)
def test_every_backbone_gives_the_eager_features_on_the_inference_path(arch, tmp_path):
    import paddle
    from dragdl_core.runtime.backbones import feature_extractor

    paddle.seed(0)
    model = feature_extractor(arch)
    x = np.random.RandomState(0).rand(2, 3, 32, 32).astype("float32")
    eager, live, predicted, engine = three_ways(model, x, tmp_path, f"backbone {arch}")
    assert_same(live, eager, f"{arch} through run_layer")
    assert_same(predicted, eager, f"{arch} on the {engine} engine")
    assert engine == "predictor" or f"- `{arch}` falls back:" in documented_fallbacks(), \
        f"{arch} falls back to eager and docs/models.md does not say why (a line '- `{arch}` falls back: ...')"


def layer_graph(type_name: str) -> dict:
    """Shapes (RGB, 32 px) -> Conv2D -> the layer (with its defaults) -> head -> Trainer. A merge node
    (Add, Concat) joins the Conv2D with a ReLU of it (version 2), a residual connection in miniature."""
    if registry.get(type_name).merge:
        graph = layer_graph("ReLU")
        graph["version"] = 2
        graph["nodes"].append({"id": "merge", "type": type_name, "params": {}})
        graph["edges"] = [e for e in graph["edges"] if e["source"] != "n2"] + [
            {"source": "n1", "target": "merge", "input": 0}, {"source": "n2", "target": "merge", "input": 1},
            {"source": "merge", "target": "n3"}]
        return graph
    before = [("Conv2D", {"out_channels": 4, "kernel_size": 3, "padding": 1})]
    if type_name == "Linear":
        before.append(("Flatten", {}))
    middle = [] if registry.get(type_name).category == "head" else [(type_name, {})]
    nodes = [("Shapes", {"image_size": 32, "samples_per_class": 10}), *before, *middle,
             ("ClassifierHead", {"hidden_units": 8}), ("Trainer", {"epochs": 1})]
    return {"format": "dragdl.graph", "version": 1, "name": f"layer-{type_name}",
            "nodes": [{"id": f"n{i}", "type": t, "params": p} for i, (t, p) in enumerate(nodes)],
            "edges": [{"source": f"n{i}", "target": f"n{i + 1}"} for i in range(len(nodes) - 1)]}


@pytest.mark.parametrize("type_name", LAYERS)
def test_every_layer_type_gives_the_eager_result_on_the_inference_path(type_name, tmp_path):
    import paddle

    analysis = analyze(layer_graph(type_name))
    assert not analysis.errors, analysis.errors
    script = tmp_path / "train.py"
    script.write_text(compile_graph(analysis))
    spec = importlib.util.spec_from_file_location(f"layer_{type_name}", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    paddle.seed(0)
    model = module.build_model(analysis.context.num_classes)
    for layer in model.sublayers():  # BatchNorm statistics that are not the identity, so they count
        if isinstance(layer, paddle.nn.BatchNorm2D):
            layer._mean.set_value(paddle.full(layer._mean.shape, 0.3))
            layer._variance.set_value(paddle.full(layer._variance.shape, 2.0))
    x = np.random.RandomState(1).rand(3, 3, 32, 32).astype("float32")
    eager, live, predicted, engine = three_ways(model, x, tmp_path, type_name)
    assert_same(live, eager, f"{type_name} through run_layer")
    assert_same(predicted, eager, f"{type_name} on the predictor")
    assert engine == "predictor"


@pytest.mark.slow
def test_a_warm_predictor_is_created_once_per_process_and_reused(tmp_path, python_env):
    """Predictor(run_dir) twice in a process: one paddle.inference predictor, the same answers."""
    import subprocess
    import sys

    from backbone_graphs import backbone_graph

    graph = backbone_graph("shufflenet_v2_x0_25", trainer={"epochs": 1, "batch_size": 16})
    (tmp_path / "g.json").write_text(json.dumps(graph))
    subprocess.run([sys.executable, "-m", "dragdl_core", "run", str(tmp_path / "g.json"), "--run-dir",
                    str(tmp_path / "run")], cwd=ROOT, env=python_env, check=True, capture_output=True, timeout=300)
    from PIL import Image

    from dragdl_core.runtime import inference
    from dragdl_core.runtime.predict import Predictor

    Image.new("RGB", (40, 30), (20, 200, 30)).save(tmp_path / "green.png")
    inference.clear_cache()
    first, second = Predictor(tmp_path / "run"), Predictor(tmp_path / "run")
    assert first.model is second.model and first.model.engine == "predictor"
    a = first.predict(tmp_path / "green.png")
    assert second.predict(tmp_path / "green.png").probabilities == a.probabilities
    assert abs(sum(a.probabilities.values()) - 1) < 1e-5
    report = np.load(tmp_path / "run" / "test_predictions.npz")
    assert report["probabilities"].shape[1] == len(a.probabilities)

    import threading  # the web app predicts from each session's thread: same predictor, same answers

    answers = []
    threads = [threading.Thread(target=lambda: answers.extend(
        Predictor(tmp_path / "run").predict(tmp_path / "green.png").probabilities for _ in range(3)))
        for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(answers) == 9
    assert all(answer == pytest.approx(a.probabilities, abs=1e-6) for answer in answers)


def test_a_layer_the_predictor_cannot_take_runs_eagerly_with_the_reason_logged(tmp_path, capfd):
    """A layer with an op static Paddle lacks (simulated: its forward refuses to be converted) cannot be
    saved for a predictor: the same numbers come out eagerly, and the log says which model and why."""
    import paddle
    from dragdl_core.runtime import inference

    class EagerOnly(paddle.nn.Layer):
        def __init__(self):
            super().__init__()
            self.linear = paddle.nn.Linear(4, 3)

        def forward(self, x):
            if not paddle.in_dynamic_mode():
                raise NotImplementedError("no static version of this op")
            return self.linear(x)

    paddle.seed(0)
    layer = EagerOnly()
    x = np.random.RandomState(0).rand(5, 4).astype("float32")
    with paddle.no_grad():
        expected = layer(paddle.to_tensor(x)).numpy()
    out = np.concatenate(list(inference.run_layer(layer, [x], images=5, frozen=True, what="backbone odd")))
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert any(line.startswith("backbone odd: cannot be saved for a predictor") for line in inference.FALLBACKS)
    assert "inference falls back to eager: backbone odd" in capfd.readouterr().err


def test_the_predictor_cache_is_bounded_and_a_resaved_model_gets_a_new_predictor(tmp_path, monkeypatch):
    import os

    import paddle
    from dragdl_core.runtime import inference

    spec = [paddle.static.InputSpec([None, 4], "float32", name="image")]
    for name in ("a", "b"):
        paddle.jit.save(paddle.nn.Linear(4, 2), str(tmp_path / name / "model"), input_spec=spec)
    monkeypatch.setattr(inference, "PREDICTOR_CACHE", 1)
    inference.clear_cache()
    a = inference.saved_model(tmp_path / "a" / "model")
    assert inference.saved_model(tmp_path / "a" / "model") is a  # reused while it is the one kept
    inference.saved_model(tmp_path / "b" / "model")  # pushes a out
    assert inference.saved_model(tmp_path / "a" / "model") is not a
    kept = inference.saved_model(tmp_path / "a" / "model")
    params = tmp_path / "a" / "model.pdiparams"
    os.utime(params, ns=(params.stat().st_atime_ns, params.stat().st_mtime_ns + 10**9))  # re-exported
    assert inference.saved_model(tmp_path / "a" / "model") is not kept
    x = np.ones((3, 4), dtype=np.float32)
    assert kept.run(x).shape == (3, 2)

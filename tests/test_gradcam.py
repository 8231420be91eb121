"""Grad-CAM on a really trained Shapes model: the heat sits on the shape, the command line writes it over the
image, and a model without a convolution is told so in one line."""
import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from conftest import ROOT, example
from dragdl_core.compiler.codegen import compile_graph
from dragdl_core.synthetic_shapes import SHAPE_NAMES, draw_one

pytestmark = pytest.mark.slow
ARTIFACTS = ROOT / "artifacts" / "ui"


def shapes_graph(epochs=10):
    """Shapes (4 classes, 32 px) into two convolutions, no augmentation: quick to learn."""
    graph = example("shapes-augment.json")
    keep = {"data", "resize", "norm", "conv1", "relu1", "pool1", "conv2", "relu2", "gap", "head", "train"}
    graph["nodes"] = [n for n in graph["nodes"] if n["id"] in keep]
    order = ["data", "resize", "norm", "conv1", "relu1", "pool1", "conv2", "relu2", "gap", "head", "train"]
    graph["edges"] = [{"source": a, "target": b} for a, b in zip(order, order[1:])]
    nodes = {n["id"]: n for n in graph["nodes"]}
    nodes["gap"]["params"]["output_size"] = 1
    nodes["data"]["params"]["samples_per_class"] = 150
    nodes["train"]["params"]["epochs"] = epochs
    return graph


def no_conv_graph():
    graph = example("digits-cnn.json")
    keep = ["data", "resize", "norm", "head", "train"]
    graph["nodes"] = [n for n in graph["nodes"] if n["id"] in keep]
    graph["edges"] = [{"source": a, "target": b} for a, b in zip(keep, keep[1:])]
    graph["nodes"][-1]["params"]["epochs"] = 1
    return graph


def trained(tmp_path, graph, env, name):
    run_dir = tmp_path / name
    run_dir.mkdir()
    (run_dir / "graph.json").write_text(json.dumps(graph))
    (run_dir / "train.py").write_text(compile_graph(graph))
    done = subprocess.run([sys.executable, str(run_dir / "train.py"), "--run-dir", str(run_dir)], env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return run_dir


@pytest.fixture(scope="module")
def env():
    import os
    return {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore:No ccache found"}


@pytest.fixture(scope="module")
def shapes_run(tmp_path_factory, env):
    return trained(tmp_path_factory.mktemp("shapes"), shapes_graph(), env, "shapes")


def test_the_heat_lies_on_the_shape_more_than_on_the_background(shapes_run):
    from dragdl_core.runtime.gradcam import explain

    rng = np.random.RandomState(123)  # images the model never saw, without noise so the mask is exact
    inside, outside, correct = [], [], 0
    for i in range(48):
        kind = SHAPE_NAMES[i % 4]
        pixels = draw_one(kind, 32, rng, noise=0)
        mask = pixels.min(axis=2) >= 115  # shape colours are 140..255 per channel, backgrounds 0..89
        result = explain(shapes_run, Image.fromarray(pixels), name=f"{kind}{i}")
        correct += result.predicted == kind
        inside.append(result.heatmap[mask].mean())
        outside.append(result.heatmap[~mask].mean())
    assert correct >= 24, f"the model itself is too weak to explain ({correct}/48 right, chance is 12)"
    assert np.mean(inside) > 1.5 * np.mean(outside), (np.mean(inside), np.mean(outside))


def test_any_class_can_be_explained_and_an_unknown_one_is_named(shapes_run):
    from dragdl_core.runtime.gradcam import ExplainError, explain

    pixels = draw_one("square", 32, np.random.RandomState(5), noise=0)
    for_circle = explain(shapes_run, Image.fromarray(pixels), "circle")
    assert for_circle.class_name == "circle" and for_circle.heatmap.shape == (32, 32)
    with pytest.raises(ExplainError, match="unknown class 'hexagon'.*circle"):
        explain(shapes_run, Image.fromarray(pixels), "hexagon")


def test_predict_explain_writes_the_heat_map_over_the_image(shapes_run, env, tmp_path):
    image = tmp_path / "circle.png"
    Image.fromarray(draw_one("circle", 32, np.random.RandomState(9), noise=0)).save(image)
    out = tmp_path / "explained" / "cam.png"
    done = subprocess.run([sys.executable, "-m", "dragdl_core", "predict", str(shapes_run), str(image),
                           "--explain", str(out), "--json"], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)[0]
    assert result["explained"] == result["top"] and result["explain"] == str(out)
    with Image.open(out) as cam:
        assert cam.format == "PNG" and cam.width >= 128 and cam.mode == "RGB"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)  # for docs/tuning.md (git-ignored)
        cam.save(ARTIFACTS / "gradcam-circle.png")
        # the overlay differs from the plain image: the heat map is drawn on it
        plain = Image.open(image).convert("RGB").resize(cam.size, Image.NEAREST)
        assert np.abs(np.asarray(cam, float) - np.asarray(plain, float)).mean() > 10


def test_a_model_without_convolution_gets_one_clear_line(tmp_path, env):
    run_dir = trained(tmp_path, no_conv_graph(), env, "mlp")
    image = tmp_path / "digit.png"
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(image)
    done = subprocess.run([sys.executable, "-m", "dragdl_core", "predict", str(run_dir), str(image),
                           "--explain", str(tmp_path / "cam.png")], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()] and "no convolution layer" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "cam.png").exists()


def test_a_frozen_backbone_model_is_explained_with_its_exported_weights(tmp_path, env):
    """A Backbone (resnet18, frozen, features cached while training): the rebuilt eager model must find the
    checkpoint that reproduces the exported model, and its last convolution gives a non-empty map."""
    from dragdl_core.runtime.gradcam import explain

    graph = example("backbone-shapes.json")
    for node in graph["nodes"]:
        if node["id"] == "data":
            node["params"].update(samples_per_class=20, image_size=32)
        if node["id"] == "train":
            node["params"]["epochs"] = 1
    run_dir = trained(tmp_path, graph, env, "backbone")
    pixels = draw_one("circle", 32, np.random.RandomState(1), noise=0)
    result = explain(run_dir, Image.fromarray(pixels), "circle")
    assert result.heatmap.shape == (32, 32) and result.heatmap.max() == pytest.approx(1.0)
    assert sum(result.probabilities.values()) == pytest.approx(1.0, abs=1e-4)

"""Helpers for the export tests: a run directory holding a model with random weights (no training), a venv
with only onnxruntime, numpy and Pillow, and the layer graphs to check every node type with."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from conftest import ROOT, example
from dragdl_core.compiler import registry
from dragdl_core.compiler.codegen import compile_graph
from dragdl_core.compiler.validate import analyze

STANDALONE_PACKAGES = ["onnxruntime", "numpy", "pillow"]


def untrained_run(run_dir: Path, graph: dict) -> Path:
    """A run directory as training leaves it (graph.json, train.py, model/), with random weights: what export
    reads, in a second instead of a training run."""
    import paddle

    from dragdl_core.runtime.modules import import_file

    analysis = analyze(graph)
    assert analysis.ok, analysis.errors
    run_dir.mkdir(parents=True)
    (run_dir / "graph.json").write_text(json.dumps(graph))
    (run_dir / "train.py").write_text(compile_graph(analysis))
    script = import_file(run_dir / "train.py", "dragdl_export_test_")
    classes = [f"class{i}" for i in range(analysis.shapes[analysis.order[-2].id][0])]
    paddle.seed(0)
    model = script.build_model(len(classes))
    model.eval()
    input_shape = analysis.shapes[_last_transform(analysis)]
    spec = paddle.static.InputSpec([None, *input_shape], "float32", name="image")
    paddle.jit.save(model, str(run_dir / "model" / "inference"), input_spec=[spec])
    meta = {"classes": classes, "image_shape": analysis.shapes[analysis.order[0].id], "input_shape": input_shape,
            "preprocess": "train.py:eval_transform"}
    (run_dir / "model" / "meta.json").write_text(json.dumps(meta))
    return run_dir


def _last_transform(analysis) -> str:
    nodes = [n.id for n in analysis.order if registry.get(n.type).category in ("dataset", "transform")]
    return nodes[-1]


def layer_graph(layer_type: str) -> dict:
    """Digits -> Resize 16 -> Normalize -> (Conv2D) -> LAYER with its defaults -> head -> Trainer; the first
    of a few prefixes that makes the layer valid (Linear wants a flat input, BatchNorm2D channels)."""
    base = example("digits-cnn.json")
    data, resize, normalize = base["nodes"][:3]
    head = {"id": "head", "type": "ClassifierHead", "params": {"hidden_units": 0}}
    trainer = {"id": "train", "type": "Trainer", "params": {"epochs": 1}}
    prefixes = [[], [("Conv2D", {"out_channels": 4, "kernel_size": 3, "padding": 1})], [("Flatten", {})]]
    for prefix in prefixes:
        middle = [{"id": f"p{i}", "type": t, "params": p} for i, (t, p) in enumerate(prefix)]
        nodes = [data, resize, normalize, *middle, {"id": "layer", "type": layer_type, "params": {}}, head, trainer]
        graph = {"format": "dragdl.graph", "version": 1, "name": f"{layer_type}-export", "nodes": nodes,
                 "edges": [{"source": a["id"], "target": b["id"]} for a, b in zip(nodes, nodes[1:])]}
        if analyze(graph).ok:
            return graph
    if registry.get(layer_type).merge:  # Add, Concat (version 2): join a Conv2D with a ReLU of it
        nodes = [data, resize, normalize, {"id": "conv", "type": "Conv2D", "params": {"out_channels": 4}},
                 {"id": "relu", "type": "ReLU", "params": {}}, {"id": "layer", "type": layer_type, "params": {}},
                 head, trainer]
        edges = [("data", "resize"), ("resize", "norm"), ("norm", "conv"), ("conv", "relu"), ("layer", "head"),
                 ("head", "train")]
        graph = {"format": "dragdl.graph", "version": 2, "name": f"{layer_type}-export", "nodes": nodes,
                 "edges": [{"source": a, "target": b} for a, b in edges]
                 + [{"source": "relu", "target": "layer", "input": 0}, {"source": "conv", "target": "layer", "input": 1}]}
        if analyze(graph).ok:
            return graph
    raise AssertionError(f"no test graph makes {layer_type} valid; add a prefix for it")


def make_standalone_venv(folder: Path) -> Path:
    """`python -m venv` (no system site packages, so neither Paddle nor dragdl_core) with only what the
    zip's predict.py needs; returns its python."""
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True, timeout=300)
    python = folder / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    *STANDALONE_PACKAGES], check=True, capture_output=True, timeout=900)
    return python


def digit_images(folder, count=4):
    """A few of scikit-learn's digits as 8x8 PNGs named N-is-DIGIT.png (`label_of` reads the DIGIT back)."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    paths = []
    for i in range(count):
        path = folder / f"{i}-is-{digits.target[i * 7]}.png"
        Image.fromarray((digits.images[i * 7] * 255 / 16).astype(np.uint8)).save(path)
        paths.append(path)
    return paths


def label_of(image: str) -> str:
    return Path(image).stem.split("-is-")[1]


def predict_json(run_dir, images) -> list[dict]:
    out = subprocess.run([sys.executable, "-m", "dragdl_core", "predict", str(run_dir), *map(str, images), "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)

"""Export: every layer type and backbone arch converts to ONNX with Paddle's outputs (within 1e-4), the
preprocessing travels as data and replays exactly, each format round-trips from the CLI, and the zip's
predict.py - in a venv without Paddle and without dragdl_core - prints what `predict --json` prints."""
from __future__ import annotations

import json
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest
from PIL import Image

from backbone_graphs import backbone_graph
from conftest import ROOT, example, tiny_digits_graph
from dragdl_core import backbones
from dragdl_core.compiler import registry
from dragdl_core.cli import main
from dragdl_core.serving.standalone import predict as standalone
from export_support import (digit_images, label_of, layer_graph, make_standalone_venv, predict_json,
                            untrained_run)

LAYER_TYPES = sorted(name for name, t in registry.node_types().items() if t.category == "layer")
ARCHS = sorted(backbones.builtin())
pytestmark = pytest.mark.filterwarnings("ignore")


def onnx_and_paddle_outputs(run_dir, tmp_path, shape, seed=0):
    import onnxruntime
    import paddle

    from dragdl_core.serving.export import export_onnx

    onnx_file = export_onnx(run_dir, tmp_path / "model.onnx")
    x = np.random.RandomState(seed).uniform(-1, 1, (2, *shape)).astype(np.float32)
    model = paddle.jit.load(str(run_dir / "model" / "inference"))
    model.eval()
    with paddle.no_grad():
        expected = model(paddle.to_tensor(x)).numpy()
    session = onnxruntime.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0], expected


@pytest.mark.parametrize("layer_type", LAYER_TYPES)
def test_every_layer_type_exports_to_onnx_with_paddles_outputs(layer_type, tmp_path):
    graph = layer_graph(layer_type)
    run = untrained_run(tmp_path / "run", graph)
    got, expected = onnx_and_paddle_outputs(run, tmp_path, json.loads((run / "model/meta.json").read_text())
                                            ["input_shape"])
    assert got.shape == expected.shape == (2, 10)
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("arch", ARCHS)
def test_every_backbone_arch_exports_to_onnx_with_paddles_outputs(arch, tmp_path):
    run = untrained_run(tmp_path / "run", backbone_graph(arch, image_size=32))
    got, expected = onnx_and_paddle_outputs(run, tmp_path, [3, 32, 32])
    assert got.shape == expected.shape == (2, 4)
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=1e-4)


def every_transform_graph() -> dict:
    """Shapes (colour) through every transform type, each with non-default settings where it matters."""
    chain = [("Pad", {"padding": 2, "fill": 200}), ("RandomCrop", {"size": [30, 31], "padding": 1}),
             ("CenterCrop", {"size": [28, 29]}), ("RandomResizedCrop", {"size": [26, 27]}),
             ("Resize", {"size": 21, "interpolation": "bicubic"}), ("ColorJitter", {}),
             ("RandomHorizontalFlip", {}), ("RandomVerticalFlip", {}), ("RandomAffine", {}),
             ("RandomRotation", {}), ("Grayscale", {"num_output_channels": 3}),
             ("Lambda", {"expression": "clip(x * 1.3 - 0.1, 0, 1) ** 2", "apply": "all"}),
             ("Lambda", {"expression": "flipud(x)", "apply": "train"}),
             ("Normalize", {"mean": [0.5, 0.4, 0.3], "std": [0.2, 0.25, 0.3]})]
    assert {t for t, _ in chain} == {n for n, t in registry.node_types().items() if t.category == "transform"}, \
        "a new transform type: add it to this chain so its preprocess.json step is checked"
    nodes = [{"id": "data", "type": "Shapes", "params": {"num_classes": 3, "image_size": 32}}]
    nodes += [{"id": f"t{i}", "type": t, "params": p} for i, (t, p) in enumerate(chain)]
    nodes += [{"id": "head", "type": "ClassifierHead", "params": {"hidden_units": 0}},
              {"id": "train", "type": "Trainer", "params": {"epochs": 1}}]
    return {"format": "dragdl.graph", "version": 1, "name": "every-transform", "nodes": nodes,
            "edges": [{"source": a["id"], "target": b["id"]} for a, b in zip(nodes, nodes[1:])]}


@pytest.mark.parametrize("graph", [every_transform_graph(), example("shapes-augment.json"), tiny_digits_graph()],
                         ids=["every-transform", "shapes-augment", "digits"])
def test_preprocess_json_replays_the_runs_own_evaluation_transform(graph, tmp_path):
    """predict.py's Pillow/numpy replay of preprocess.json gives the array the run's train.py gives."""
    from dragdl_core.serving.export import preprocess
    from dragdl_core.runtime.predict import Predictor

    run = untrained_run(tmp_path / "run", graph)
    steps = preprocess(run)
    rng = np.random.RandomState(1)
    images = {"odd.png": Image.fromarray(rng.randint(0, 256, (37, 23, 3), dtype=np.uint8)),
              "gray.png": Image.fromarray(rng.randint(0, 256, (8, 8), dtype=np.uint8))}
    predictor = Predictor(run)
    for name, image in images.items():
        image.save(tmp_path / name)
        expected = predictor.predict(tmp_path / name).model_input
        got = standalone.prepare(tmp_path / name, steps)
        assert got.shape == expected.shape, name
        np.testing.assert_allclose(got, expected, atol=1e-6, err_msg=name)


def test_a_model_onnx_cannot_express_is_refused_naming_the_node(tmp_path, capsys):
    family = tmp_path / "cumnet.py"
    family.write_text("from paddle import nn\nimport paddle\n\n\nclass Cum(nn.Layer):\n"
                      "    def forward(self, x):\n        return paddle.cumprod(x, dim=1)\n\n\n"
                      "class CumNet(nn.Layer):\n    def __init__(self):\n        super().__init__()\n"
                      "        self.features = nn.Sequential(nn.Conv2D(3, 8, 3, padding=1), Cum())\n")
    assert main(["models", "register", str(family), "--name", "cumnet"]) == 0
    run = untrained_run(tmp_path / "run", backbone_graph("cumnet", image_size=32))
    capsys.readouterr()
    assert main(["export", str(run), "--format", "onnx", "-o", str(tmp_path / "m.onnx")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err
    assert "cannot be converted to ONNX" in err and "node 'backbone'" in err and "cumnet" in err, err
    assert not (tmp_path / "m.onnx").exists()


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """A real, trained Digits run (one epoch, a few seconds)."""
    folder = tmp_path_factory.mktemp("trained")
    (folder / "graph.json").write_text(json.dumps(tiny_digits_graph(epochs=1)))
    env = {**__import__("os").environ, "PYTHONPATH": str(ROOT), "DRAGDL_HOME": str(folder / "home")}
    subprocess.run([sys.executable, "-m", "dragdl_core", "run", str(folder / "graph.json"), "--run-dir",
                    str(folder / "run")], cwd=ROOT, env=env, check=True, capture_output=True, timeout=600)
    return folder / "run"


@pytest.fixture(scope="session")
def standalone_python(tmp_path_factory):
    """A venv with only onnxruntime, numpy and Pillow, made once per test session (about 30 s)."""
    started = time.monotonic()
    python = make_standalone_venv(tmp_path_factory.mktemp("standalone") / "venv")
    print(f"standalone venv ready in {time.monotonic() - started:.1f} s")
    return python


def assert_same_predictions(got: list[dict], expected: list[dict]):
    assert [g["image"] for g in got] == [e["image"] for e in expected]
    for g, e in zip(got, expected):
        assert g["top"] == e["top"]
        assert list(g["probabilities"]) == list(e["probabilities"])
        np.testing.assert_allclose(list(g["probabilities"].values()), list(e["probabilities"].values()), atol=1e-4)


@pytest.mark.slow
def test_the_zips_predict_py_needs_neither_paddle_nor_dragdl(trained_run, standalone_python, tmp_path):
    zip_path = tmp_path / "out" / "model.zip"
    assert main(["export", str(trained_run), "--format", "zip", "-o", str(zip_path)]) == 0
    with zipfile.ZipFile(zip_path) as archive:
        assert sorted(archive.namelist()) == sorted(["model.onnx", "inference.json", "inference.pdiparams",
                                                      "labels.json", "preprocess.json", "predict.py", "README.txt"])
        archive.extractall(tmp_path / "unzipped")
    folder = tmp_path / "unzipped"
    assert json.loads((folder / "labels.json").read_text()) == [str(i) for i in range(10)]
    images = digit_images(tmp_path)
    alone = subprocess.run([str(standalone_python), "-I", "predict.py", *map(str, images)], cwd=folder,
                           capture_output=True, text=True, timeout=300, env={"PATH": "/usr/bin:/bin"})
    assert alone.returncode == 0, alone.stderr
    no_paddle = subprocess.run([str(standalone_python), "-I", "-c", "import paddle"], capture_output=True)
    no_core = subprocess.run([str(standalone_python), "-I", "-c", "import dragdl_core"], capture_output=True,
                             cwd=ROOT)
    assert no_paddle.returncode != 0 and no_core.returncode != 0
    assert_same_predictions([json.loads(line) for line in alone.stdout.splitlines()],
                            predict_json(trained_run, images))
    assert sum(p["top"] == label_of(p["image"]) for p in map(json.loads, alone.stdout.splitlines())) >= 3, \
        "the trained model should get most of these digits right"


@pytest.mark.slow
def test_onnx_and_paddle_exports_round_trip(trained_run, tmp_path):
    import onnxruntime
    import paddle

    images = digit_images(tmp_path)
    expected = predict_json(trained_run, images)
    onnx_path = tmp_path / "m.onnx"
    assert main(["export", str(trained_run), "--format", "onnx", "-o", str(onnx_path)]) == 0
    assert main(["export", str(trained_run), "--format", "paddle", "-o", str(tmp_path / "paddle")]) == 0
    steps = json.loads((tmp_path / "paddle" / "preprocess.json").read_text())
    labels = json.loads((tmp_path / "paddle" / "labels.json").read_text())
    inputs = np.stack([standalone.prepare(p, steps) for p in images])
    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    from_onnx = session.run(None, {"image": inputs})[0]
    loaded = paddle.jit.load(str(tmp_path / "paddle" / "inference"))
    loaded.eval()
    from_paddle = loaded(paddle.to_tensor(inputs)).numpy()
    for logits, want in [(from_onnx, expected), (from_paddle, expected)]:
        probs = np.exp(logits - logits.max(1, keepdims=True))
        probs /= probs.sum(1, keepdims=True)
        for row, e in zip(probs, want):
            np.testing.assert_allclose([row[labels.index(c)] for c in e["probabilities"]],
                                       list(e["probabilities"].values()), atol=1e-4)


def test_export_mistakes_are_one_line(tmp_path, capsys):
    assert main(["export", str(tmp_path / "nope"), "--format", "zip", "-o", str(tmp_path / "a.zip")]) == 2
    assert "no such run directory" in capsys.readouterr().err
    (tmp_path / "unfinished").mkdir()
    assert main(["export", str(tmp_path / "unfinished"), "--format", "onnx", "-o", str(tmp_path / "a.onnx")]) == 2
    assert "no trained model yet" in capsys.readouterr().err


def special_images(folder) -> dict:
    """Pictures that need the reader's fixes: transparency, 16-bit, EXIF orientation, palette, CMYK."""
    rng = np.random.RandomState(3)
    rgba = rng.randint(0, 256, (12, 10, 4), dtype=np.uint8)
    rgba[..., 3] = np.where(np.arange(10) < 5, 0, 255)[None, :]  # left half fully transparent
    paths = {"rgba.png": Image.fromarray(rgba, "RGBA"),
             "la.png": Image.fromarray(rgba[..., [0, 3]], "LA"),
             "sixteen.png": Image.fromarray(rng.randint(0, 65536, (9, 7)).astype(np.uint16)),
             "palette.gif": Image.fromarray(rgba[..., :3]).convert("P"),
             "cmyk.jpg": Image.fromarray(rgba[..., :3]).convert("CMYK")}
    for name, image in paths.items():
        image.save(folder / name)
    turned = Image.fromarray(rgba[..., :3])
    exif = turned.getexif()
    exif[0x0112] = 6  # "rotate 90 clockwise to view"
    turned.save(folder / "turned.jpg", exif=exif, quality=95)
    return {name: folder / name for name in [*paths, "turned.jpg"]}


def test_predict_py_reads_an_image_as_a_person_sees_it(tmp_path):
    images = special_images(tmp_path)
    seen = standalone.make_visible(Image.open(images["rgba.png"]), "RGB")
    assert (np.asarray(seen)[:, :5] == 255).all()                   # transparent parts become white
    assert standalone.make_visible(Image.open(images["turned.jpg"]), "RGB").size == (12, 10)  # upright
    sixteen = np.asarray(Image.open(images["sixteen.png"]), dtype=np.float64)
    np.testing.assert_array_equal(np.asarray(standalone.make_visible(Image.open(images["sixteen.png"]), "L")),
                                  np.round(sixteen / 257).astype(np.uint8))
    assert standalone.make_visible(Image.open(images["cmyk.jpg"]), "RGB").mode == "RGB"


def test_predict_py_reads_images_like_dragdl_itself(tmp_path):
    """The standalone copy of the reader agrees with DragDL's own (dragdl_core/imaging.py, from issue 11)."""
    from dragdl_core import imaging

    if not hasattr(imaging, "make_visible"):
        pytest.skip("dragdl_core.imaging has no make_visible yet (the shared reader of issue 11)")
    for name, path in special_images(tmp_path).items():
        for mode in ("L", "RGB"):
            np.testing.assert_array_equal(np.asarray(standalone.make_visible(Image.open(path), mode)),
                                          np.asarray(imaging.make_visible(Image.open(path), mode)),
                                          err_msg=f"{name} as {mode}")

"""Every transform in the registry, with its defaults and with other parameters, on a 1-channel (Digits) and
a 3-channel (Shapes) dataset: the Build page's preview shows it, and one real training step runs through
the generated script's own transforms and model. A new transform must add its non-default parameters here."""
import importlib.util

import numpy as np
import pytest

from dragdl_core.compiler import registry
from dragdl_core.compiler.codegen import compile_graph
from dragdl_core.compiler.validate import analyze

paddle = pytest.importorskip("paddle")
from dragdl_core.runtime.datasets import to_pil  # noqa: E402
from dragdl_core.runtime.preview import preview  # noqa: E402

TRANSFORMS = sorted(t for t in registry.node_types() if registry.get(t).category == "transform")
OTHER_PARAMS = {
    "CenterCrop": {"size": 20},
    "ColorJitter": {"brightness": 0.5, "contrast": 0.5, "saturation": 0.5, "hue": 0.3},
    "Grayscale": {"num_output_channels": 3},
    "Lambda": {"expression": "clip(x * 1.2, 0, 1)", "apply": "train"},
    "Normalize": {"mean": [0.4], "std": [0.3]},
    "Pad": {"padding": 2, "fill": 128},
    "RandomAffine": {"degrees": 30.0, "translate": [0.1, 0.2], "scale": [0.8, 1.2], "shear": 10.0},
    "RandomCrop": {"size": [20, 28], "padding": 4},
    "RandomHorizontalFlip": {"prob": 1.0},
    "RandomResizedCrop": {"size": [20, 20], "scale": [0.5, 1.0], "ratio": [0.5, 2.0]},
    "RandomRotation": {"degrees": 90.0, "fill": 255},
    "RandomVerticalFlip": {"prob": 1.0},
    "Resize": {"size": [20, 24], "interpolation": "lanczos"},
}
DATASETS = {
    "grey": ("Digits", {"limit_per_class": 3}),
    "colour": ("Shapes", {"num_classes": 3, "image_size": 32, "samples_per_class": 10}),
}
CASES = [(t, p) for t in TRANSFORMS for p in ({}, OTHER_PARAMS.get(t))]


def test_every_transform_has_other_parameters_to_try():
    assert set(OTHER_PARAMS) == set(TRANSFORMS), "add the new transform's non-default parameters to OTHER_PARAMS"


def chain(dataset, *nodes):
    nodes = [DATASETS[dataset], ("Resize", {"size": [32, 32]}), *nodes,
             ("ClassifierHead", {}), ("Trainer", {"epochs": 1, "batch_size": 8})]
    return {"format": "dragdl.graph", "version": 1, "name": "transform-contract",
            "nodes": [{"id": f"n{i}", "type": t, "params": p} for i, (t, p) in enumerate(nodes)],
            "edges": [{"source": f"n{i}", "target": f"n{i + 1}"} for i in range(len(nodes) - 1)]}


def load_script(source: str, path):
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"transform_contract_{abs(hash(source))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("dataset", sorted(DATASETS))
@pytest.mark.parametrize("type_name,params", CASES,
                         ids=[f"{t}-{'defaults' if not p else 'other'}" for t, p in CASES])
def test_a_transform_previews_and_trains_on_grey_and_colour_images(type_name, params, dataset, tmp_path):
    graph = chain(dataset, (type_name, params))
    analysis = analyze(graph)
    assert analysis.ok, analysis.errors
    shape = analysis.shapes["n2"]
    channels = params.get("num_output_channels", 1) if type_name == "Grayscale" else {"grey": 1, "colour": 3}[dataset]
    assert shape[0] == channels

    shown = preview(graph, "n2", samples=2, draws=2)
    for row in shown.draws:
        for array in row:
            assert list(array.shape) == shape and np.isfinite(array).all()

    module = load_script(compile_graph(analysis), tmp_path / "train.py")
    data = module.load_data()
    images = np.stack([module.train_transform(to_pil(image)) for image in data.train.images[:8]])
    assert list(images.shape[1:]) == shape
    evaluated = module.eval_transform(to_pil(data.test.images[0]))
    assert list(np.asarray(evaluated).shape) == shape  # evaluation and prediction see the trained size
    model = module.build_model(data.num_classes)
    optimizer, _ = module.make_optimizer(model)
    before = [p.numpy().copy() for p in model.parameters()]
    loss = paddle.nn.CrossEntropyLoss()(model(paddle.to_tensor(images)), paddle.to_tensor(data.train.labels[:8]))
    loss.backward()
    optimizer.step()
    assert np.isfinite(float(loss))
    assert any(not np.array_equal(b, p.numpy()) for b, p in zip(before, model.parameters()))


def test_random_rotation_fills_the_uncovered_corners_of_a_grey_image_with_its_fill():
    graph = chain("grey", ("RandomRotation", {"degrees": 45.0, "fill": 255}))
    shown = preview(graph, "n2", samples=2, draws=3)
    corners = [array[0, 0, 0] for row in shown.draws for array in row]
    # Digits have a black border; a white corner can only come from the fill (draw seeds are fixed)
    assert max(corners) == pytest.approx(1.0)
    assert "fill=(255,)" in compile_graph(analyze(graph))

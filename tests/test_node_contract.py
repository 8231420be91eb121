"""Contract tests over the whole registry: every node type's defaults are valid, its declarations are
complete, its generated code compiles, and the shape it infers is the shape Paddle really produces."""
import importlib.util

import numpy as np
import pytest
from PIL import Image

from dragdl_core.compiler import registry
from dragdl_core.compiler.codegen import compile_graph
from dragdl_core.compiler.params import MISSING
from dragdl_core.compiler.validate import analyze

TYPES = sorted(registry.node_types())
DOWNLOADED = {"MNIST", "FashionMNIST", "Cifar10", "Flowers102"}
TESTABLE = [t for t in TYPES if t not in DOWNLOADED and registry.get(t).category != "backbone"]


def make_image_folder(root, name="pets", classes=("cat", "dog"), per_class=6, size=12):
    rng = np.random.RandomState(0)
    for label, cls in enumerate(classes):
        folder = root / name / cls
        folder.mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.randint(0, 120, (size, size, 3)) + 120 * label
            Image.fromarray(pixels.astype(np.uint8)).save(folder / f"{i}.png")
    return name


def chain_graph(*nodes):
    return {"format": "dragdl.graph", "version": 1, "name": "contract",
            "nodes": [{"id": f"n{i}", "type": t, "params": p} for i, (t, p) in enumerate(nodes)],
            "edges": [{"source": f"n{i}", "target": f"n{i + 1}"} for i in range(len(nodes) - 1)]}


SMALL_SHAPES = ("Shapes", {"image_size": 32, "samples_per_class": 10})
TAIL = [("ClassifierHead", {}), ("Trainer", {"epochs": 1})]


def merge_graph(type_name, branches, image_size=32):
    """Version 2: Shapes, then one Conv2D per entry of `branches` ((out_channels, stride), all fed by the
    same ReLU), joined by `type_name` (in branch order) into the head; the merge node is "merge"."""
    nodes = [{"id": "data", "type": "Shapes", "params": {"image_size": image_size, "samples_per_class": 10}},
             {"id": "stem", "type": "ReLU", "params": {}},
             {"id": "merge", "type": type_name, "params": {}},
             {"id": "head", "type": "ClassifierHead", "params": {}}, {"id": "train", "type": "Trainer", "params": {"epochs": 1}}]
    edges = [{"source": "data", "target": "stem"}, {"source": "merge", "target": "head"},
             {"source": "head", "target": "train"}]
    for k, (channels, stride) in enumerate(branches):
        nodes.append({"id": f"b{k}", "type": "Conv2D", "params": {"out_channels": channels, "stride": stride}})
        edges += [{"source": "stem", "target": f"b{k}"}, {"source": f"b{k}", "target": "merge", "input": k}]
    return {"format": "dragdl.graph", "version": 2, "name": "contract", "nodes": nodes, "edges": edges}


def graph_with(type_name, datasets_dir):
    """A small valid graph holding `type_name` with its default parameters, and the node's id."""
    category = registry.get(type_name).category
    if registry.get(type_name).merge:
        return merge_graph(type_name, [(8, 1), (8, 1)]), "merge"
    if category == "dataset":
        params = {"name": make_image_folder(datasets_dir)} if type_name == "ImageFolder" else {}
        return chain_graph((type_name, params), *TAIL), "n0"
    if category in ("head", "trainer"):
        return chain_graph(("Digits", {}), *TAIL), "n1" if category == "head" else "n2"
    before = [("Flatten", {})] if type_name == "Linear" else []
    return chain_graph(SMALL_SHAPES, *before, (type_name, {}), *TAIL), f"n{1 + len(before)}"


def load_script(source: str, tmp_path):
    path = tmp_path / "train.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"generated_{tmp_path.name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("type_name", TYPES)
def test_declarations_are_complete(type_name):
    node_type = registry.get(type_name)
    assert node_type.description, f"{type_name} needs a docstring"
    assert node_type.category in registry.CATEGORIES
    for name, decl in node_type.params.items():
        assert decl.description, f"{type_name}.{name} needs a description"
        if decl.default is not MISSING:
            assert decl.check(decl.default, name) == decl.default or decl.default is None
    doc = node_type.to_doc()
    assert set(doc["params"]) == set(node_type.params)


@pytest.mark.parametrize("type_name", TESTABLE)
def test_defaults_are_valid_and_the_code_compiles(type_name, isolated_home, tmp_path):
    graph, node_id = graph_with(type_name, tmp_path / "datasets")
    result = analyze(graph)
    assert result.ok, result.errors
    assert node_id in result.shapes
    compile(compile_graph(result), "train.py", "exec")


@pytest.mark.parametrize("type_name", sorted(DOWNLOADED))
def test_an_uncached_download_is_a_clear_validation_error(type_name, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))  # an empty Paddle cache
    errors = analyze(chain_graph((type_name, {}), *TAIL)).errors
    assert len(errors) == 1 and errors[0]["node"] == "n0"
    assert "not downloaded" in errors[0]["message"] and "ask your instructor" in errors[0]["message"]
    # written for a student: no server path, no command; those are in the detail for the instructor
    assert str(tmp_path) not in errors[0]["message"] and "python -m" not in errors[0]["message"]
    assert f"datasets fetch {type_name}" in errors[0]["detail"] and str(tmp_path) in errors[0]["detail"]


@pytest.mark.parametrize("type_name", [t for t in TESTABLE if registry.get(t).category == "transform"])
def test_a_transform_produces_the_shape_it_infers(type_name, tmp_path):
    graph, node_id = graph_with(type_name, tmp_path)
    result = analyze(graph)
    module = load_script(compile_graph(result), tmp_path)
    data = module.load_data()
    image = Image.fromarray(data.train.images[0])
    for transform in (module.train_transform, module.eval_transform):
        out = np.asarray(transform(image))
        assert out.dtype == np.float32
        assert list(out.shape) == result.shapes[node_id]


# Merge nodes (Add, Concat) take several inputs, so they are not a step of an nn.Sequential: their contract is
# test_a_merge_produces_the_shape_it_infers below.
@pytest.mark.parametrize("type_name", [t for t in TESTABLE if registry.get(t).category in ("layer", "head")
                                       and not registry.get(t).merge])
def test_a_layer_produces_the_shape_it_infers(type_name, tmp_path):
    import paddle

    graph, node_id = graph_with(type_name, tmp_path)
    result = analyze(graph)
    module = load_script(compile_graph(result), tmp_path)
    model = module.build_model(result.context.num_classes)
    model.eval()
    x = paddle.zeros([2, *result.shapes["n0"]])
    index = [n.id for n in result.order].index(node_id) - 1  # position inside nn.Sequential
    upto = model if registry.get(type_name).category == "head" else model[: index + 1]
    assert list(upto(x).shape[1:]) == result.shapes[node_id]


MERGE_CASES = [("Add", [(8, 1), (8, 1)], 32), ("Add", [(4, 2), (4, 2), (4, 2)], 20), ("Add", [(16, 1)] * 4, 12),
               ("Concat", [(8, 1), (4, 1)], 32), ("Concat", [(3, 2), (5, 2), (1, 2)], 20), ("Concat", [(2, 1)] * 4, 12)]


@pytest.mark.parametrize("type_name,branches,size", MERGE_CASES)
def test_a_merge_produces_the_shape_it_infers(type_name, branches, size, tmp_path):
    """Add and Concat with several input counts and shapes: what the merge hands the head is the shape inferred."""
    import paddle

    result = analyze(merge_graph(type_name, branches, size))
    assert result.ok, result.errors
    module = load_script(compile_graph(result), tmp_path)
    model = module.build_model(result.context.num_classes)
    model.eval()
    seen = []
    model.head.register_forward_pre_hook(lambda layer, inputs: seen.append(list(inputs[0].shape[1:])))
    out = model(paddle.rand([2, *result.shapes["data"]]))
    assert seen == [result.shapes["merge"]]
    assert list(out.shape) == [2, result.context.num_classes]
    if type_name == "Concat":
        assert result.shapes["merge"][0] == sum(channels for channels, _ in branches)
    from dragdl_core.compiler.summary import summarize  # the canvas's parameter count, from shapes, for every branch
    assert summarize(result)["parameters"] == sum(int(np.prod(p.shape)) for p in model.parameters())


@pytest.mark.parametrize("type_name", ["Digits", "Shapes", "ImageFolder"])
def test_a_dataset_delivers_what_it_declares_split_stratified_and_reproducibly(type_name, tmp_path):
    from dragdl_core.runtime import datasets

    graph, _ = graph_with(type_name, tmp_path / "datasets")
    result = analyze(graph)
    node_type, params = registry.get(type_name), result.params["n0"]
    loader = getattr(datasets, node_type.loader)
    data, again = loader(**params), loader(**params)
    assert data.image_shape == result.shapes["n0"]
    assert data.num_classes == result.context.num_classes
    for part in ("train", "val", "test"):
        assert np.array_equal(getattr(data, part).images, getattr(again, part).images)
    assert set(np.unique(data.test.labels)) == set(range(data.num_classes))
    total = len(data.train) + len(data.val) + len(data.test)
    assert abs(len(data.test) / total - params["test_ratio"]) < 0.1
    other = loader(**{**params, "seed": params["seed"] + 1})
    assert not np.array_equal(other.test.labels, data.test.labels) or not np.array_equal(
        other.test.images, data.test.images)

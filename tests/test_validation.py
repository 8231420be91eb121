"""Validation through the public API: every bad input gets a clear error naming the node and field."""
import copy
import json

import pytest

from conftest import example
from dragdl_core.compiler import validate as v
from dragdl_core.compiler.codegen import CompileError, compile_graph


def errors_of(graph):
    return v.validate(graph)


def find(errors, code):
    matches = [e for e in errors if e["code"] == code]
    assert matches, f"no {code} error in {errors}"
    return matches[0]


@pytest.fixture
def graph():
    return example("digits-cnn.json")


def node(graph, node_id):
    return next(n for n in graph["nodes"] if n["id"] == node_id)


def test_the_examples_that_work_offline_are_valid():
    for name in ("digits-cnn.json", "shapes-augment.json"):
        result = v.analyze(example(name))
        assert result.ok, result.errors
        assert result.shapes["head"] == [result.context.num_classes]


def test_shapes_are_inferred_for_every_node(graph):
    shapes = v.infer_shapes(graph)
    assert shapes["data"] == [1, 8, 8]
    assert shapes["resize"] == [1, 16, 16]
    assert shapes["conv1"] == [16, 16, 16]
    assert shapes["pool2"] == [32, 4, 4]
    assert shapes["head"] == [10]


@pytest.mark.parametrize("value, message", [
    (0, "Resize.size must be 1..4096, got 0"),
    (100000, "Resize.size must be 1..4096, got 100000"),
    ([16, 0], "Resize.size must be 1..4096, got 0"),
    ("big", "Resize.size must be a list of whole numbers, got 'big'"),
])
def test_resize_size_out_of_range_names_node_and_field(graph, value, message):
    node(graph, "resize")["params"]["size"] = value
    err = errors_of(graph)[0]
    assert (err["node"], err["field"], err["message"]) == ("resize", "size", message)


def test_every_bad_parameter_is_reported_at_once(graph):
    node(graph, "train")["params"].update({"learning_rate": -0.1, "epochs": 10**9, "optimizer": "adagrad"})
    node(graph, "conv1")["params"]["colour"] = "red"
    node(graph, "head")["params"]["dropout"] = "lots"
    got = {(e["node"], e["field"], e["code"]) for e in errors_of(graph)}
    assert got == {("train", "learning_rate", "out_of_range"), ("train", "epochs", "out_of_range"),
                   ("train", "optimizer", "not_a_choice"), ("conv1", "colour", "unknown_param"),
                   ("head", "dropout", "wrong_type")}


def test_a_cycle_is_named(graph):
    graph["edges"].append({"source": "train", "target": "resize"})
    err = find(errors_of(graph), "cycle")
    assert "train" in err["message"] and "resize" in err["message"]


def test_a_self_loop_is_a_cycle(graph):
    graph["edges"].append({"source": "relu1", "target": "relu1"})
    assert find(errors_of(graph), "cycle")["node"] == "relu1"


def test_two_datasets(graph):
    graph["nodes"].append({"id": "more", "type": "Shapes"})
    err = find(errors_of(graph), "two_datasets")
    assert err["node"] == "more" and "'data'" in err["message"]


def test_no_trainer(graph):
    graph["nodes"] = [n for n in graph["nodes"] if n["id"] != "train"]
    graph["edges"] = [e for e in graph["edges"] if e["target"] != "train"]
    err = find(errors_of(graph), "no_trainer")
    assert err["node"] is None and "Trainer" in err["message"]


def test_a_node_off_the_path(graph):
    graph["nodes"].append({"id": "lonely", "type": "ReLU"})
    err = find(errors_of(graph), "off_path")
    assert err["node"] == "lonely"


def test_an_unconnected_trainer_is_told_to_be_connected_not_that_it_is_off_the_path(graph):
    graph["edges"] = [e for e in graph["edges"] if e["target"] != "train"]
    errors = errors_of(graph)
    message = find(errors, "off_path")["message"]
    assert "nothing leads to the Trainer 'train' yet; connect 'head' to it" in message
    assert "is not on the path" not in " ".join(e["message"] for e in errors)


def test_an_edge_to_a_missing_node(graph):
    graph["edges"].append({"source": "pool2", "target": "ghost"})
    err = find(errors_of(graph), "missing_node")
    assert err["node"] == "pool2" and "ghost" in err["message"]


def test_a_branch_is_refused_in_version_1(graph):
    graph["nodes"].append({"id": "side", "type": "ReLU"})
    graph["edges"].append({"source": "conv1", "target": "side"})
    assert find(errors_of(graph), "branch")["node"] == "conv1"


def test_duplicate_ids(graph):
    graph["nodes"].append({"id": "conv1", "type": "ReLU"})
    err = find(errors_of(graph), "duplicate_id")
    assert err["node"] == "conv1" and err["field"] == "id"


def test_unknown_type(graph):
    node(graph, "relu1")["type"] = "Sigmoidish"
    err = find(errors_of(graph), "unknown_type")
    assert (err["node"], err["field"]) == ("relu1", "type") and "Sigmoidish" in err["message"]


def test_a_transform_after_a_layer_is_out_of_order(graph):
    graph["edges"] = [e for e in graph["edges"] if e["source"] not in ("resize", "norm", "conv1")]
    graph["edges"] += [{"source": "resize", "target": "conv1"}, {"source": "conv1", "target": "norm"},
                       {"source": "norm", "target": "relu1"}]
    assert find(errors_of(graph), "out_of_order")["node"] == "norm"


def test_a_transform_that_cannot_take_its_input_shape(graph):
    node(graph, "resize").update(type="CenterCrop", params={"size": [64, 64]})
    err = find(errors_of(graph), "bad_shape")
    assert err["node"] == "resize" and err["field"] == "size" and "8x8" in err["message"]


def test_normalize_with_the_wrong_number_of_channels(graph):
    node(graph, "norm")["params"] = {"mean": [0.5, 0.5, 0.5], "std": [0.5]}
    err = find(errors_of(graph), "bad_shape")
    assert (err["node"], err["field"]) == ("norm", "mean") and "1 channel" in err["message"]


def test_strides_shrink_the_image_as_paddle_computes_it(graph):
    """(16 + 2*1 - 3) // 2 + 1 = 8, then pooling windows of 3 every 1: 6, then of 2 every 2: conv2 keeps 6 -> 3."""
    node(graph, "conv1")["params"].update({"stride": 2})
    node(graph, "pool1")["params"].update({"kernel_size": 3, "stride": 1})
    shapes = v.infer_shapes(graph)
    assert (shapes["conv1"], shapes["pool1"], shapes["pool2"]) == ([16, 8, 8], [16, 6, 6], [32, 3, 3])


def test_a_pool_larger_than_its_input(graph):
    node(graph, "pool2")["params"]["kernel_size"] = 9
    err = find(errors_of(graph), "bad_shape")
    assert (err["node"], err["field"]) == ("pool2", "kernel_size")


def test_an_image_transform_after_normalize(graph):
    graph["nodes"].append({"id": "flip", "type": "RandomHorizontalFlip"})
    graph["edges"] = [e for e in graph["edges"] if e["source"] != "norm"]
    graph["edges"] += [{"source": "norm", "target": "flip"}, {"source": "flip", "target": "conv1"}]
    err = find(errors_of(graph), "bad_shape")
    assert err["node"] == "flip" and "before 'norm'" in err["message"]


@pytest.mark.parametrize("document", [
    [], "just text", 42, {"nodes": []}, {"format": "dragdl.graph", "version": 7},
    {"format": "dragdl.graph", "version": 1, "nodes": [{"id": "a"}]},
    {"format": "dragdl.graph", "version": 1, "nodes": [], "extra": 1},
])
def test_json_that_is_not_a_graph_gives_one_graph_wide_error(document):
    errors = errors_of(document)
    assert len(errors) == 1 and errors[0]["node"] is None and errors[0]["code"] == "not_a_graph"


def test_text_that_is_not_json():
    errors = errors_of("{not json")
    assert "not valid JSON" in errors[0]["message"]


def test_a_10000_node_graph_is_answered(graph):
    big = copy.deepcopy(graph)
    relus = [{"id": f"r{i}", "type": "ReLU"} for i in range(10_000)]
    big["nodes"] = big["nodes"][:-2] + relus + big["nodes"][-2:]
    big["edges"] = [e for e in big["edges"] if e["target"] != "head"]
    chain = ["pool2"] + [r["id"] for r in relus] + ["head"]
    big["edges"] += [{"source": a, "target": b} for a, b in zip(chain, chain[1:])]
    result = v.analyze(big)
    assert result.ok and result.shapes["r9999"] == [32, 4, 4]
    big["edges"].append({"source": "r9999", "target": "r0"})
    assert find(v.validate(big), "merge")


@pytest.mark.parametrize("expression", [
    "__import__('os').system('touch {marker}')",
    "().__class__.__bases__[0].__subclasses__()",
    "open('{marker}', 'w')",
    "(lambda f: f(f))(lambda f: f(f))",
    "10**10**10",
    "[x for x in range(10**9)]",
    "np.save('{marker}', x)",
    "x.tofile('{marker}')",
    "x.T",                                   # attribute access that calls nothing: the allow-list's job alone
    "transpose(x, (1, 0, 2)).__class__",
    "x[0].T",
    "getattr(x, 'tofile')('{marker}')",
    "'a' * 10**9",
])
def test_lambda_escapes_are_rejected_at_validation_and_never_run(graph, expression, tmp_path):
    marker = tmp_path / "escaped"
    graph["nodes"].insert(2, {"id": "evil", "type": "Lambda",
                              "params": {"expression": expression.format(marker=marker)}})
    graph["edges"] = [e for e in graph["edges"] if e["source"] != "resize"]
    graph["edges"] += [{"source": "resize", "target": "evil"}, {"source": "evil", "target": "norm"}]
    err = find(errors_of(graph), "unsafe_expression")
    assert (err["node"], err["field"]) == ("evil", "expression")
    with pytest.raises(CompileError):
        compile_graph(graph)
    assert not marker.exists() and not marker.with_suffix(".npy").exists()


def test_a_lambda_that_changes_the_shape_is_inferred(graph):
    graph = example("shapes-augment.json")
    node(graph, "noise")["params"] = {"expression": "mean(x, axis=2, keepdims=True)", "apply": "all"}
    node(graph, "norm")["params"] = {"mean": [0.5], "std": [0.5]}
    result = v.analyze(graph)
    assert result.ok, result.errors
    assert result.shapes["noise"] == [1, 32, 32] and result.shapes["conv1"][0] == 16


def test_a_train_only_lambda_must_keep_the_shape():
    graph = example("shapes-augment.json")
    node(graph, "noise")["params"] = {"expression": "x[:, :, :1]", "apply": "train"}
    err = find(v.validate(graph), "bad_shape")
    assert (err["node"], err["field"]) == ("noise", "expression")


def test_graph_round_trips_through_json(graph):
    from dragdl_core.compiler.graph import load_graph

    loaded = load_graph(json.dumps(graph))
    assert load_graph(loaded.to_json()).to_dict() == loaded.to_dict()
    assert [n["id"] for n in loaded.to_dict()["nodes"]] == [n["id"] for n in graph["nodes"]]


def test_a_graph_name_cannot_inject_code_into_the_script(graph, tmp_path):
    marker = tmp_path / "injected"
    graph["name"] = f'x"""\nopen("{marker}", "w")\n"""'
    assert find(errors_of(graph), "not_a_graph")  # control characters (newlines) are refused
    graph["name"] = f'x""" + open("{marker}", "w").name + """'
    source = compile_graph(graph)
    namespace = {"__name__": "not_main"}
    exec(compile(source.split("import argparse")[0], "train.py", "exec"), namespace)  # the docstring part
    assert not marker.exists()


@pytest.mark.parametrize("bad_id", ["a\nimport os", "x y", "../up", ""])
def test_node_ids_are_plain_names(graph, bad_id):
    node(graph, "relu1")["id"] = bad_id
    err = errors_of(graph)[0]
    assert err["code"] == "not_a_graph" and "nodes.4.id" in err["message"]


def insert_after(graph, after, new_id, type_name, params=None):
    """Put a new node on the path right after `after`."""
    graph["nodes"].append({"id": new_id, "type": type_name, "params": params or {}})
    for edge in graph["edges"]:
        if edge["source"] == after:
            edge["source"] = new_id
    graph["edges"].append({"source": after, "target": new_id})


@pytest.mark.parametrize("size, conv, node_id, message", [
    ([16, 2], {"kernel_size": 5, "padding": 1}, "conv1",
     "Conv2D.kernel_size 5 is larger than its input size 2 plus padding; make it smaller or remove a pooling layer"),
    ([2, 16], {"kernel_size": 5, "padding": 1}, "conv1",
     "Conv2D.kernel_size 5 is larger than its input size 2 plus padding; make it smaller or remove a pooling layer"),
    ([16, 2], {"kernel_size": 3, "padding": 0}, "conv1",
     "Conv2D.kernel_size 3 is larger than its input size 2; make it smaller or remove a pooling layer"),
    ([16, 1], {"kernel_size": 1, "padding": 0}, "pool1",
     "MaxPool2D.kernel_size 2 is larger than its input size 1; make it smaller or remove a pooling layer"),
    ([1, 16], {"kernel_size": 1, "padding": 0}, "pool1",
     "MaxPool2D.kernel_size 2 is larger than its input size 1; make it smaller or remove a pooling layer"),
])
def test_a_window_larger_than_either_side_names_the_node_the_field_and_the_sizes(graph, size, conv, node_id,
                                                                                 message):
    node(graph, "resize")["params"]["size"] = size
    node(graph, "conv1")["params"].update(conv)
    err = find(errors_of(graph), "bad_shape")
    assert (err["node"], err["field"]) == (node_id, "kernel_size")
    assert err["message"].endswith(": " + message), err["message"]


def test_layers_that_need_a_flat_or_an_image_input_say_where_to_move():
    graph = example("digits-cnn.json")
    insert_after(graph, "pool2", "fc", "Linear", {"out_features": 8})
    err = find(errors_of(graph), "bad_shape")
    assert err["node"] == "fc" and err["message"].endswith(
        ": needs a flat input, got [32, 4, 4]; put a Flatten before it"), err
    graph = example("digits-cnn.json")
    insert_after(graph, "pool2", "flat", "Flatten")
    insert_after(graph, "flat", "conv3", "Conv2D")
    err = find(errors_of(graph), "bad_shape")
    assert err["node"] == "conv3" and err["message"].endswith(
        ": needs an image-shaped input [channels, height, width], got [512]; put it before Flatten"), err

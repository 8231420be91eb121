"""What a student reads when a graph is wrong: every error, in full - the node it is shown on, the field, the
code and the exact message - for one deliberate mistake at a time, in version-1 chains and version-2
branching graphs. A message naming the wrong node, or the same problem told twice, fails here."""
from types import SimpleNamespace

import pytest

from conftest import example
from dragdl_core.compiler import validate as v

ORDER = "the order is dataset -> transforms -> (Backbone | layers) -> ClassifierHead -> Trainer"


def chain():
    return example("digits-cnn.json")


def residual():
    return example("digits-residual.json")


def backbone():
    return example("backbone-shapes.json")


def link(graph, source, target, **extra):
    graph["edges"].append({"source": source, "target": target, **extra})
    return graph


def unlink(graph, source, target):
    graph["edges"] = [e for e in graph["edges"] if (e["source"], e["target"]) != (source, target)]
    return graph


def add(graph, node_id, type_, **params):
    graph["nodes"].append({"id": node_id, "type": type_, "params": params})
    return graph


def delete(graph, node_id):
    graph["nodes"] = [n for n in graph["nodes"] if n["id"] != node_id]
    graph["edges"] = [e for e in graph["edges"] if node_id not in (e["source"], e["target"])]
    return graph


def retype(graph, node_id, type_):
    next(n for n in graph["nodes"] if n["id"] == node_id)["type"] = type_
    return graph


def insert(graph, source, new, target):
    """`new` (already a node) put between `source` and `target` in place of their edge."""
    return link(link(unlink(graph, source, target), source, new), new, target)


def number(graph, source, target, value):
    next(e for e in graph["edges"] if (e["source"], e["target"]) == (source, target))["input"] = value
    return graph


def set_param(graph, node_id, **params):
    next(n for n in graph["nodes"] if n["id"] == node_id)["params"].update(params)
    return graph


def with_version(graph, version):
    graph["version"] = version
    return graph


def isolated_cycle(graph):
    """Two ReLUs feeding each other, beside the path."""
    return link(link(add(add(graph, "x", "ReLU"), "y", "ReLU"), "x", "y"), "y", "x")


def duplicate_early(graph):
    graph["nodes"].insert(1, {"id": "conv1", "type": "ReLU"})
    return graph


def image_folder(name):
    return {"format": "dragdl.graph", "version": 1, "name": "folder",
            "nodes": [{"id": "d", "type": "ImageFolder", "params": {"name": name}},
                      {"id": "h", "type": "ClassifierHead", "params": {}},
                      {"id": "t", "type": "Trainer", "params": {}}],
            "edges": [{"source": "d", "target": "h"}, {"source": "h", "target": "t"}]}


def three_inputs(graph):
    """add1 gets relu1 (no number), then bn2 and pool1 both as input 0."""
    unlink(unlink(graph, "bn2", "add1"), "pool1", "add1")
    return link(link(link(graph, "relu1", "add1"), "bn2", "add1", input=0), "pool1", "add1", input=0)


def backbone_fork():
    """Version 2: the Backbone feeds r1 and r2, joined by an Add into the head."""
    graph = with_version(unlink(backbone(), "backbone", "head"), 2)
    for node_id, type_ in (("r1", "ReLU"), ("r2", "ReLU"), ("sum", "Add")):
        add(graph, node_id, type_)
    for source, target, extra in (("backbone", "r1", {}), ("backbone", "r2", {}), ("r1", "sum", {"input": 0}),
                                  ("r2", "sum", {"input": 1}), ("sum", "head", {})):
        link(graph, source, target, **extra)
    return graph


def transform_after_conv1(graph):
    """resize -> conv1 -> norm -> relu1: a transform after a layer."""
    for pair in (("resize", "norm"), ("norm", "conv1"), ("conv1", "relu1")):
        unlink(graph, *pair)
    return link(link(link(graph, "resize", "conv1"), "conv1", "norm"), "norm", "relu1")


def head_before_pool2(graph):
    """... relu2 -> head -> pool2 -> train: a layer after the head."""
    for pair in (("relu2", "pool2"), ("pool2", "head"), ("head", "train")):
        unlink(graph, *pair)
    return link(link(link(graph, "relu2", "head"), "head", "pool2"), "pool2", "train")


V1_ONE_PATH = "a version-1 graph is one path"
NEEDS_V2 = 'need a version 2 graph ("version": 2)'

# (case, graph, every error as (node, field, code, message)), in the order they are reported: graph order,
# the same on every run
CASES = [
    # -- edges that cannot be followed, both versions
    ("edge to a missing node", lambda: link(chain(), "pool2", "ghost"),
     [("pool2", "edges", "missing_node", "edge pool2 -> ghost points to no node 'ghost'")]),
    ("edge from a missing node", lambda: link(chain(), "ghost", "pool2"),
     [("pool2", "edges", "missing_node", "edge ghost -> pool2 points to no node 'ghost'")]),
    ("edge between two missing nodes", lambda: link(chain(), "ghost", "spook"),
     [(None, "edges", "missing_node", "edge ghost -> spook points to no node 'ghost'")]),
    ("edge given twice", lambda: link(chain(), "conv1", "relu1"),
     [("conv1", "edges", "duplicate_edge", "edge conv1 -> relu1 is given twice")]),
    ("v2 edge to a missing node", lambda: link(residual(), "pool2", "ghost"),
     [("pool2", "edges", "missing_node", "edge pool2 -> ghost points to no node 'ghost'")]),
    ("v2 edge given twice", lambda: link(residual(), "conv1", "relu1"),
     [("conv1", "edges", "duplicate_edge", "edge conv1 -> relu1 is given twice")]),
    # -- version 1: one path
    ("v1 numbered input", lambda: number(chain(), "conv1", "relu1", 0),
     [("relu1", "input", "input_needs_version_2",
       "edge conv1 -> relu1 has an `input`; ordered inputs " + NEEDS_V2)]),
    ("v1 merge node", lambda: retype(chain(), "relu1", "Add"),
     [("relu1", "type", "merge_needs_version_2",
       "Add 'relu1' joins branches; branches " + NEEDS_V2)]),
    ("v1 fork", lambda: link(add(chain(), "side", "ReLU"), "conv1", "side"),
     [("conv1", "edges", "branch", f"'conv1' feeds 2 nodes (relu1, side); {V1_ONE_PATH}")]),
    ("v1 two inputs", lambda: link(chain(), "conv1", "pool1"),
     [("conv1", "edges", "branch", f"'conv1' feeds 2 nodes (relu1, pool1); {V1_ONE_PATH}"),
      ("pool1", "edges", "merge", f"'pool1' has 2 inputs (relu1, conv1); {V1_ONE_PATH}")]),
    ("v1 two inputs, one from beside the path", lambda: link(add(chain(), "side", "ReLU"), "side", "relu1"),
     [("relu1", "edges", "merge", f"'relu1' has 2 inputs (conv1, side); {V1_ONE_PATH}")]),
    ("v1 cycle", lambda: link(chain(), "pool2", "conv2"),
     [("conv2", "edges", "merge", f"'conv2' has 2 inputs (pool1, pool2); {V1_ONE_PATH}"),
      ("pool2", "edges", "branch", f"'pool2' feeds 2 nodes (head, conv2); {V1_ONE_PATH}"),
      ("conv2", "edges", "cycle", "cycle: conv2 -> relu2 -> pool2 -> conv2")]),
    ("v1 self loop", lambda: link(chain(), "relu1", "relu1"),
     [("relu1", "edges", "branch", f"'relu1' feeds 2 nodes (pool1, relu1); {V1_ONE_PATH}"),
      ("relu1", "edges", "merge", f"'relu1' has 2 inputs (conv1, relu1); {V1_ONE_PATH}"),
      ("relu1", "edges", "cycle", "cycle: relu1 -> relu1")]),
    ("v1 no dataset", lambda: delete(chain(), "data"),
     [(None, None, "no_dataset", "the graph has no dataset node; every graph needs exactly one")]),
    ("v1 no Trainer", lambda: delete(chain(), "train"),
     [(None, None, "no_trainer", "the graph has no Trainer node; every graph needs exactly one")]),
    ("v1 two datasets", lambda: add(chain(), "more", "Shapes"),
     [("more", "type", "two_datasets", "'more' is a second dataset (the first is 'data'); a graph has exactly one")]),
    ("v1 two Trainers", lambda: add(chain(), "train2", "Trainer"),
     [("train2", "type", "two_trainers",
       "'train2' is a second Trainer (the first is 'train'); a graph has exactly one")]),
    ("v1 dataset with an input", lambda: link(add(chain(), "pre", "ReLU"), "pre", "data"),
     [("data", "edges", "dataset_has_input", "dataset 'data' must be the first node, but 'pre' feeds it")]),
    ("v1 node off the path", lambda: add(chain(), "lonely", "ReLU"),
     [("lonely", "edges", "off_path",
       "'lonely' is not on the path from 'data' to the Trainer; connect it or delete it")]),
    ("v1 Trainer not connected", lambda: unlink(chain(), "head", "train"),
     [("train", "edges", "off_path", "nothing leads to the Trainer 'train' yet; connect 'head' to it"),
      ("head", "edges", "not_connected",
       "the path from 'data' stops at 'head'; connect it on to the Trainer 'train'")]),
    ("v1 unknown type", lambda: retype(chain(), "relu1", "Nope"),
     [("relu1", "type", "unknown_type", "unknown node type 'Nope': replace it with one from the palette")]),
    # an unknown node may be the dataset: no "no dataset" on top of it
    ("v1 unknown type, no dataset", lambda: retype(delete(chain(), "data"), "relu1", "Nope"),
     [("relu1", "type", "unknown_type", "unknown node type 'Nope': replace it with one from the palette")]),
    ("v1 transform after a layer", lambda: transform_after_conv1(chain()),
     [("norm", "edges", "out_of_order",
       f"Normalize 'norm' is a transform and cannot come after a later stage; {ORDER}")]),
    ("v1 layer after the head", lambda: head_before_pool2(chain()),
     [("pool2", "edges", "out_of_order",
       f"MaxPool2D 'pool2' is a layer and cannot come after a later stage; {ORDER}")]),
    ("v1 no head", lambda: link(delete(chain(), "head"), "pool2", "train"),
     [("train", "edges", "no_head", f"put a ClassifierHead before the Trainer 'train'; {ORDER}")]),
    ("v1 two heads", lambda: insert(add(chain(), "head2", "ClassifierHead"), "head", "head2", "train"),
     [("head2", "type", "two_heads", "'head2' is a second head; a graph has exactly one")]),
    ("v1 layer after a Backbone", lambda: insert(add(backbone(), "extra", "ReLU"), "backbone", "extra", "head"),
     [("extra", "edges", "backbone_and_layers",
       "'extra': use either one Backbone or layers between the transforms and the head")]),
    ("v1 Backbone after a layer", lambda: insert(add(backbone(), "extra", "ReLU"), "norm", "extra", "backbone"),
     [("backbone", "edges", "backbone_and_layers",
       "'backbone': use either one Backbone or layers between the transforms and the head")]),
    ("v1 two Backbones", lambda: insert(add(backbone(), "bb2", "Backbone", arch="resnet18", weights="none"),
                                        "backbone", "bb2", "head"),
     [("bb2", "edges", "backbone_and_layers",
       "'bb2': use either one Backbone or layers between the transforms and the head")]),
    ("v1 cycle beside the path", lambda: isolated_cycle(chain()),
     [("x", "edges", "cycle", "cycle: x -> y -> x")]),
    ("duplicate id, then a wrong parameter", lambda: set_param(duplicate_early(chain()), "train", epochs=0),
     [("conv1", "id", "duplicate_id", "two nodes have the id 'conv1'"),
      ("train", "epochs", "out_of_range", "Trainer.epochs must be 1..1000, got 0")]),
    ("unknown type, then a wrong parameter", lambda: set_param(retype(chain(), "relu1", "Nope"), "train", epochs=0),
     [("relu1", "type", "unknown_type", "unknown node type 'Nope': replace it with one from the palette"),
      ("train", "epochs", "out_of_range", "Trainer.epochs must be 1..1000, got 0")]),
    # a wrong parameter is no reason to keep quiet about the missing dataset (an unknown type is)
    ("no dataset and a wrong parameter", lambda: set_param(delete(chain(), "data"), "train", epochs=0),
     [("train", "epochs", "out_of_range", "Trainer.epochs must be 1..1000, got 0"),
      (None, None, "no_dataset", "the graph has no dataset node; every graph needs exactly one")]),
    ("an image folder that is not there", lambda: image_folder("nothere"),
     [("d", "name", "dataset_unavailable",
       "no dataset named 'nothere': pick one of yours or the class's, or import one on the Datasets page")]),
    # -- version 2: forks in the model part, joined at Add/Concat
    ("v2 merge with one input", lambda: unlink(residual(), "pool1", "add1"),
     [("add1", "edges", "merge_one_input",
       "Add 'add1' joins two or more inputs, got 1 (from 'bn2'); connect another branch to it")]),
    ("v2 merge with no input", lambda: unlink(unlink(residual(), "pool1", "add1"), "bn2", "add1"),
     [("add1", "edges", "merge_one_input",
       "Add 'add1' joins two or more inputs, got none; connect another branch to it")]),
    ("v2 input number twice", lambda: number(residual(), "pool1", "add1", 0),
     [("add1", "input", "duplicate_input",
       "Add 'add1': 'bn2' and 'pool1' both come in as input 0; give each edge its own input number")]),
    ("v2 input number twice after an unnumbered one", lambda: three_inputs(residual()),
     [("add1", "input", "duplicate_input",
       "Add 'add1': 'bn2' and 'pool1' both come in as input 0; give each edge its own input number")]),
    ("v2 numbered input into a layer", lambda: number(residual(), "conv2", "bn2", 3),
     [("bn2", "input", "input_not_merge", "edge conv2 -> bn2 has input 3, but BatchNorm2D 'bn2' takes one input; "
       "only Add and Concat have numbered inputs")]),
    ("v2 two inputs into a layer", lambda: link(residual(), "pool1", "relu2"),
     [("relu2", "edges", "merge", "'relu2' has 2 inputs (add1, pool1); ReLU takes one: join the branches with "
       "an Add or Concat node first")]),
    ("v2 fork in the transforms", lambda: link(unlink(residual(), "pool1", "add1"), "norm", "add1", input=1),
     [("norm", "edges", "fork_in_transforms", "'norm' feeds 2 nodes (conv1, add1); the dataset and transforms "
       "form one chain; branches start after the last transform")]),
    ("v2 fork at the dataset", lambda: link(add(residual(), "side", "Resize", size=[8, 8]), "data", "side"),
     [("data", "edges", "fork_in_transforms", "'data' feeds 2 nodes (resize, side); the dataset and transforms "
       "form one chain; branches start after the last transform")]),
    ("v2 fork after the head", lambda: link(add(residual(), "t2", "Trainer"), "head", "t2"),
     [("head", "edges", "branch", "'head' feeds 2 nodes (train, t2); exactly one path reaches the Trainer"),
      ("t2", "type", "two_trainers", "'t2' is a second Trainer (the first is 'train'); a graph has exactly one")]),
    ("v2 cycle", lambda: link(residual(), "add1", "conv2"),
     [("conv2", "edges", "merge", "'conv2' has 2 inputs (pool1, add1); Conv2D takes one: join the branches with "
       "an Add or Concat node first"),
      ("add1", "edges", "cycle", "cycle: add1 -> conv2 -> bn2 -> add1")]),
    ("v2 no dataset", lambda: delete(residual(), "data"),
     [(None, None, "no_dataset", "the graph has no dataset node; every graph needs exactly one")]),
    ("v2 no Trainer", lambda: delete(residual(), "train"),
     [(None, None, "no_trainer", "the graph has no Trainer node; every graph needs exactly one")]),
    ("v2 two Trainers", lambda: add(residual(), "t2", "Trainer"),
     [("t2", "type", "two_trainers", "'t2' is a second Trainer (the first is 'train'); a graph has exactly one")]),
    ("v2 dataset with an input", lambda: link(add(residual(), "pre", "ReLU"), "pre", "data"),
     [("data", "edges", "dataset_has_input", "dataset 'data' must be the first node, but 'pre' feeds it")]),
    ("v2 node off the path", lambda: add(residual(), "lonely", "ReLU"),
     [("lonely", "edges", "off_path", "'lonely' is not on a path from 'data'; connect it or delete it")]),
    ("v2 Trainer not connected", lambda: unlink(residual(), "head", "train"),
     [("head", "edges", "dangling", "the branch ending at 'head' leads nowhere; connect it to an Add or Concat "
       "(or on towards the Trainer 'train'), or delete it"),
      ("train", "edges", "off_path", "nothing leads to the Trainer 'train' yet; connect the ClassifierHead to it")]),
    ("v2 dangling branch", lambda: link(add(residual(), "side", "Conv2D"), "pool1", "side"),
     [("side", "edges", "dangling", "the branch ending at 'side' leads nowhere; connect it to an Add or Concat "
       "(or on towards the Trainer 'train'), or delete it")]),
    ("v2 no head", lambda: link(delete(residual(), "head"), "pool2", "train"),
     [("train", "edges", "no_head", f"put a ClassifierHead before the Trainer 'train'; {ORDER}")]),
    ("v2 transform after a layer",
     lambda: insert(add(residual(), "flip", "RandomHorizontalFlip"), "relu2", "flip", "pool2"),
     [("flip", "edges", "out_of_order",
       f"RandomHorizontalFlip 'flip' is a transform and cannot come after a later stage; {ORDER}")]),
    ("v2 layer after a Backbone",
     lambda: with_version(insert(add(backbone(), "extra", "ReLU"), "backbone", "extra", "head"), 2),
     [("extra", "edges", "backbone_and_layers",
       "'extra': use either one Backbone or layers between the transforms and the head")]),
    ("v2 unknown type, no dataset", lambda: retype(delete(residual(), "data"), "relu2", "Nope"),
     [("relu2", "type", "unknown_type", "unknown node type 'Nope': replace it with one from the palette")]),
    ("v2 cycle beside the path", lambda: isolated_cycle(residual()),
     [("x", "edges", "cycle", "cycle: x -> y -> x")]),
    ("v2 self loop on the Trainer", lambda: link(residual(), "train", "train"),
     [("train", "edges", "merge", "'train' has 2 inputs (head, train); Trainer takes one: join the branches with an "
       "Add or Concat node first"),
      ("train", "edges", "cycle", "cycle: train -> train")]),
    ("v2 cycle through the head", lambda: link(residual(), "head", "pool2"),
     [("pool2", "edges", "merge", "'pool2' has 2 inputs (relu2, head); MaxPool2D takes one: join the branches with "
       "an Add or Concat node first"),
      ("head", "edges", "branch", "'head' feeds 2 nodes (train, pool2); exactly one path reaches the Trainer"),
      ("pool2", "edges", "cycle", "cycle: pool2 -> head -> pool2")]),
    ("v2 loop back to the first layer", lambda: link(residual(), "pool2", "conv1"),
     [("conv1", "edges", "merge", "'conv1' has 2 inputs (norm, pool2); Conv2D takes one: join the branches with "
       "an Add or Concat node first"),
      ("add1", "edges", "cycle",
       "cycle: add1 -> relu2 -> pool2 -> conv1 -> relu1 -> pool1 -> conv2 -> bn2 -> add1")]),
    ("v2 two inputs into the head", lambda: link(residual(), "relu2", "head"),
     [("head", "edges", "merge", "'head' has 2 inputs (pool2, relu2); ClassifierHead takes one: join the branches "
       "with an Add or Concat node first")]),
    ("v2 numbered input into a transform", lambda: number(residual(), "resize", "norm", 0),
     [("norm", "input", "input_not_merge", "edge resize -> norm has input 0, but Normalize 'norm' takes one input; "
       "only Add and Concat have numbered inputs")]),
    ("v2 unknown type, then a merge with one input",
     lambda: unlink(retype(residual(), "relu1", "Nope"), "pool1", "add1"),
     [("relu1", "type", "unknown_type", "unknown node type 'Nope': replace it with one from the palette"),
      ("add1", "edges", "merge_one_input",
       "Add 'add1' joins two or more inputs, got 1 (from 'bn2'); connect another branch to it")]),
    ("v2 no dataset and a wrong parameter", lambda: set_param(delete(residual(), "data"), "train", epochs=0),
     [("train", "epochs", "out_of_range", "Trainer.epochs must be 1..1000, got 0"),
      (None, None, "no_dataset", "the graph has no dataset node; every graph needs exactly one")]),
    # a Backbone may feed two nodes in version 2 (only what follows it is wrong here, not the fork)
    ("v2 Backbone feeding two layers", lambda: backbone_fork(),
     [(i, "edges", "backbone_and_layers", f"'{i}': use either one Backbone or layers between the transforms and "
       "the head") for i in ("r1", "r2", "sum")]),
    # a dangling branch is told first; the order of an unfinished graph is not judged yet
    ("v2 dangling transform", lambda: link(add(residual(), "flip", "RandomHorizontalFlip"), "pool1", "flip"),
     [("flip", "edges", "dangling", "the branch ending at 'flip' leads nowhere; connect it to an Add or Concat "
       "(or on towards the Trainer 'train'), or delete it")]),
    # -- shape inference: on the node, prefixed with its type and id
    ("v1 kernel larger than its input", lambda: set_param(chain(), "conv2", kernel_size=15),
     [("conv2", "kernel_size", "bad_shape", "Conv2D 'conv2': Conv2D.kernel_size 15 is larger than its input size 8 "
       "plus padding; make it smaller or remove a pooling layer")]),
    ("v2 kernel larger than its input", lambda: set_param(residual(), "conv2", kernel_size=15),
     [("conv2", "kernel_size", "bad_shape", "Conv2D 'conv2': Conv2D.kernel_size 15 is larger than its input size 8 "
       "plus padding; make it smaller or remove a pooling layer")]),
    ("a wrong dataset parameter", lambda: set_param(example("shapes-augment.json"), "data", noise=99),
     [("data", "noise", "out_of_range", "Shapes.noise must be 0..1, got 99")]),
]


def reported(graph) -> list[tuple]:
    return [(e["node"], e["field"], e["code"], e["message"]) for e in v.validate(graph)]


@pytest.mark.parametrize("make, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_mistake_is_told_once_on_the_node_to_fix(make, expected):
    assert reported(make()) == expected


def test_the_valid_examples_give_no_error():
    for graph in (chain(), residual(), backbone(), example("shapes-two-branch.json")):
        assert reported(graph) == []


def test_the_path_and_the_inputs_of_each_node_are_known_in_order():
    """The compiler writes the model in `order` and feeds each node `inputs`: a wrong walk is a wrong model."""
    result = v.analyze(chain())
    ids = ["data", "resize", "norm", "conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "head", "train"]
    assert [n.id for n in result.order] == ids
    assert result.inputs == {b: [a] for a, b in zip(ids, ids[1:])}
    assert result.params["conv1"]["stride"] == 1 and result.params["train"]["epochs"] >= 1  # defaults filled in
    branching = v.analyze(residual())
    order = [n.id for n in branching.order]
    assert order == ["data", "resize", "norm", "conv1", "relu1", "pool1", "conv2", "bn2", "add1", "relu2", "pool2",
                     "head", "train"]
    assert branching.inputs["add1"] == ["bn2", "pool1"] and branching.inputs["conv2"] == ["pool1"]
    assert not branching.inputs.get("data")


def test_after_a_shape_error_the_nodes_behind_it_have_no_shape_and_the_others_keep_theirs():
    result = v.analyze(set_param(residual(), "conv2", kernel_size=15))
    assert set(result.shapes) == {"data", "resize", "norm", "conv1", "relu1", "pool1"}
    assert [e["node"] for e in result.errors] == ["conv2"]
    assert result.node_errors("conv2") == result.errors and result.node_errors("pool1") == []


def test_infer_shapes_raises_with_every_message():
    graph = add(add(chain(), "more", "Shapes"), "train2", "Trainer")
    with pytest.raises(ValueError) as raised:
        v.infer_shapes(graph)
    assert str(raised.value) == ("'more' is a second dataset (the first is 'data'); a graph has exactly one; "
                                 "'train2' is a second Trainer (the first is 'train'); a graph has exactly one")


def test_a_dataset_that_is_not_downloaded_is_told_on_the_dataset_with_a_detail_for_the_instructor():
    result = v.analyze(example("mnist.json"))
    assert [(e["node"], e["field"], e["code"]) for e in result.errors] == [("data", None, "dataset_unavailable")]
    assert "MNIST is not downloaded yet on this server" in result.errors[0]["message"]
    assert "python -m dragdl_core datasets fetch MNIST" in result.errors[0]["detail"]
    assert result.shapes == {}


def test_a_broken_dataset_stops_shape_inference():
    result = v.analyze(set_param(chain(), "data", test_ratio=5))
    assert [e["node"] for e in result.errors] == ["data"] and result.shapes == {}


class Clock:
    """time.monotonic for validate: each reading advances by `step` seconds."""

    def __init__(self, step):
        self.now, self.step = 100.0, step

    def monotonic(self):
        self.now += self.step
        return self.now - self.step


@pytest.mark.parametrize("step, stopped_at", [(0.0, None), (1.0, "conv1"), (3.0, "resize")])
def test_shape_inference_stops_once_the_graph_has_used_its_time_budget(monkeypatch, step, stopped_at):
    """The budget is 3 s for the whole graph, counted from the dataset: with each node taking `step` seconds,
    the node reached at the deadline is the one told (once); nothing after it gets a shape."""
    monkeypatch.setattr(v, "time", SimpleNamespace(monotonic=Clock(step).monotonic))
    monkeypatch.setattr(v, "TIME_BUDGET_S", 3.0)
    result = v.analyze(chain())
    if stopped_at is None:
        assert result.ok and len(result.shapes) == 11
        return
    assert [(e["node"], e["field"], e["code"]) for e in result.errors] == [(stopped_at, None, "time_budget")]
    type_ = {"conv1": "Conv2D", "resize": "Resize"}[stopped_at]
    assert result.errors[0]["message"] == (f"{type_} '{stopped_at}': validation stopped here, after 3 s for the "
                                           "whole graph; make the Lambdas before it cheaper")
    assert stopped_at not in result.shapes and "train" not in result.shapes


@pytest.mark.parametrize("bn2, pool1, inputs", [(0, 1, ["bn2", "pool1"]), (1, 0, ["pool1", "bn2"]),
                                                (None, 0, ["pool1", "bn2"]), (None, None, ["bn2", "pool1"])])
def test_a_merge_takes_numbered_inputs_by_number_then_the_others_in_edge_order(bn2, pool1, inputs):
    """Concat stacks channels in this order, so it is what the generated forward writes."""
    graph = retype(residual(), "add1", "Concat")
    for source, value in (("bn2", bn2), ("pool1", pool1)):
        edge = next(e for e in graph["edges"] if (e["source"], e["target"]) == (source, "add1"))
        edge.pop("input", None)
        if value is not None:
            edge["input"] = value
    result = v.analyze(graph)
    assert result.ok, result.errors
    assert result.inputs["add1"] == inputs and result.shapes["add1"] == [32, 8, 8]


UNSOUND = ["v1 merge node", "v1 cycle beside the path", "v1 fork", "v1 two inputs, one from beside the path",
           "v2 merge with one input", "v2 input number twice",
           "v2 numbered input into a layer", "v2 two inputs into a layer", "v2 fork in the transforms",
           "v2 cycle beside the path"]


@pytest.mark.parametrize("make", [c[1] for c in CASES if c[0] in UNSOUND], ids=UNSOUND)
def test_a_graph_that_cannot_be_ordered_gets_no_order_and_no_shapes(make):
    """Shapes along a path that is not one would be guesses (and a walk round a cycle would not end)."""
    result = v.analyze(make())
    assert result.errors and result.order == [] and result.shapes == {}


@pytest.mark.parametrize("make", [lambda: delete(residual(), "train"), lambda: add(residual(), "lonely", "ReLU")],
                         ids=["no Trainer yet", "a node off the path"])
def test_an_unfinished_branching_graph_still_gets_its_shapes(make):
    result = v.analyze(make())
    assert result.errors and result.shapes["add1"] == [16, 8, 8] and result.shapes["head"] == [10]


@pytest.mark.parametrize("params, code", [({"kernel_size": 0}, "out_of_range"), ({"kernel_size": 31}, "bad_shape")])
def test_a_broken_branch_does_not_stop_the_other_branch(params, code):
    """shapes-two-branch: pool1 feeds `small` and `wide`; `small` is wrong, `wide` still gets its shape."""
    result = v.analyze(set_param(example("shapes-two-branch.json"), "small", **params))
    assert [(e["node"], e["code"]) for e in result.errors] == [("small", code)]
    assert result.shapes["wide"] == [8, 16, 16] and "small" not in result.shapes and "cat1" not in result.shapes


def test_a_lambda_trial_gets_what_is_left_of_the_graphs_time_budget(monkeypatch):
    from dragdl_core.nodes.transforms.lambda_ import Lambda

    given = []
    monkeypatch.setattr(v, "time", SimpleNamespace(monotonic=Clock(0.0).monotonic))
    monkeypatch.setattr(Lambda, "transform_shape", lambda self, params, shape, deadline=None:
                        given.append(deadline) or shape)
    graph = insert(add(chain(), "lam", "Lambda", expression="x * 2"), "norm", "lam", "conv1")
    assert v.analyze(graph).ok
    assert given == [100.0 + v.TIME_BUDGET_S]  # the clock read when the walk began, plus the budget


def test_a_document_that_is_not_a_graph_gives_an_empty_graph():
    result = v.analyze("{not json")
    assert result.graph.nodes == [] and result.graph.edges == []
    assert [e["code"] for e in result.errors] == ["not_a_graph"]


@pytest.mark.parametrize("edges, acyclic", [
    ([], True), ([("a", "b"), ("b", "c")], True), ([("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")], True),
    ([("a", "a")], False), ([("a", "b"), ("b", "a")], False), ([("a", "b"), ("b", "c"), ("c", "b")], False),
    ([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")], False), ([("c", "c"), ("a", "b")], False),
])
def test_the_cycle_shortcut_answers_true_exactly_for_graphs_without_a_cycle(edges, acyclic):
    """Version 2 searches for (and names) a cycle only when Kahn's count finds one: a count that said "cycle"
    for every graph would cost each large graph the search, one that missed a cycle would lose the error."""
    from collections import defaultdict
    ids = {"a", "b", "c", "d"}
    succ, in_edges = defaultdict(list), defaultdict(list)
    for source, target in edges:
        succ[source].append(target)
        in_edges[target].append((source, target))
    assert v._acyclic(ids, succ, in_edges) is acyclic

"""Graph format version 2: forks in the model part joined again by Add or Concat. Validation refuses each
malformed branch on the node to blame, shape inference walks the DAG, and the generated nn.Layer trains,
resumes exactly after a SIGKILL, exports and predicts like a chain does."""
import copy
import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, example
from test_training import epochs_logged, kill_after_a_checkpoint, train, write_run
from dragdl_core.compiler.codegen import compile_graph
from dragdl_core.compiler.validate import analyze


def residual(**trainer) -> dict:
    graph = example("digits-residual.json")
    graph["nodes"][-1]["params"].update(trainer)
    return graph


def node(graph, node_id):
    return next(n for n in graph["nodes"] if n["id"] == node_id)


def edge(graph, source, target):
    return next(e for e in graph["edges"] if e["source"] == source and e["target"] == target)


def only_error(graph) -> dict:
    errors = analyze(graph).errors
    assert len(errors) == 1, errors
    return errors[0]


# -- validation and shapes --------------------------------------------------------------------------------

def test_the_residual_and_two_branch_examples_are_valid_and_infer_every_branch():
    result = analyze(residual())
    assert result.ok, result.errors
    assert result.shapes["add1"] == result.shapes["pool1"] == [16, 8, 8]
    assert result.inputs["add1"] == ["bn2", "pool1"]
    two = analyze(example("shapes-two-branch.json"))
    assert two.ok, two.errors
    assert two.shapes["small"] == [8, 16, 16] and two.shapes["wide"] == [8, 16, 16]
    assert two.shapes["cat1"] == [16, 16, 16]


def test_an_add_of_different_shapes_is_an_error_on_the_add_naming_each_input_shape():
    graph = residual()
    node(graph, "conv2")["params"]["out_channels"] = 8
    error = only_error(graph)
    assert error["node"] == "add1" and error["code"] == "bad_shape"
    assert "bn2 [8, 8, 8] (input 0)" in error["message"] and "pool1 [16, 8, 8] (input 1)" in error["message"]


def test_concat_adds_channels_in_input_order_and_refuses_different_heights():
    graph = residual()
    node(graph, "add1")["type"] = "Concat"
    node(graph, "conv2")["params"]["out_channels"] = 4
    result = analyze(graph)
    assert result.ok and result.shapes["add1"] == [20, 8, 8]
    edge(graph, "bn2", "add1")["input"], edge(graph, "pool1", "add1")["input"] = 1, 0
    assert analyze(graph).inputs["add1"] == ["pool1", "bn2"]
    assert "paddle.concat([pool1, bn2], axis=1)" in compile_graph(graph)
    node(graph, "conv2")["params"]["stride"] = 2
    error = only_error(graph)
    assert error["node"] == "add1" and "height and width" in error["message"]
    assert "bn2 [4, 4, 4]" in error["message"] and "pool1 [16, 8, 8]" in error["message"]


def test_edges_without_input_come_after_numbered_ones_in_edge_order():
    graph = residual()
    node(graph, "add1")["type"] = "Concat"
    del edge(graph, "bn2", "add1")["input"]
    assert analyze(graph).inputs["add1"] == ["pool1", "bn2"]


def test_a_dangling_branch_is_an_error_on_its_last_node():
    graph = residual()
    graph["nodes"].append({"id": "side", "type": "Conv2D", "params": {}})
    graph["edges"].append({"source": "pool1", "target": "side"})
    error = only_error(graph)
    assert error["node"] == "side" and error["code"] == "dangling" and "leads nowhere" in error["message"]


def test_a_fork_in_the_transforms_is_an_error_on_the_forking_transform():
    graph = residual()
    graph["edges"] = [e for e in graph["edges"] if e["target"] != "add1" or e["source"] != "pool1"]
    graph["edges"].append({"source": "norm", "target": "add1", "input": 1})
    errors = analyze(graph).errors
    assert [(e["node"], e["code"]) for e in errors] == [("norm", "fork_in_transforms")], errors
    assert "transforms form one chain" in errors[0]["message"]


def test_a_merge_with_one_input_is_an_error_on_the_merge():
    graph = residual()
    graph["edges"].remove(edge(graph, "pool1", "add1"))
    error = only_error(graph)
    assert error["node"] == "add1" and error["code"] == "merge_one_input"
    assert "got 1 (from 'bn2')" in error["message"]


def test_input_on_an_edge_into_a_non_merge_node_is_an_error_on_that_node():
    graph = residual()
    edge(graph, "conv2", "bn2")["input"] = 0
    error = only_error(graph)
    assert (error["node"], error["field"], error["code"]) == ("bn2", "input", "input_not_merge")


def test_duplicate_input_numbers_are_an_error_on_the_merge():
    graph = residual()
    edge(graph, "pool1", "add1")["input"] = 0
    error = only_error(graph)
    assert (error["node"], error["field"], error["code"]) == ("add1", "input", "duplicate_input")
    assert "'bn2' and 'pool1' both come in as input 0" in error["message"]


def test_two_inputs_into_a_layer_ask_for_a_merge_node():
    graph = residual()
    graph["edges"].append({"source": "pool1", "target": "relu2"})
    error = only_error(graph)
    assert (error["node"], error["code"]) == ("relu2", "merge") and "Add or Concat" in error["message"]


def test_a_cycle_is_an_error():
    graph = residual()
    graph["edges"].append({"source": "add1", "target": "conv2"})
    codes = {(e["code"]) for e in analyze(graph).errors}
    assert "cycle" in codes
    cycle = next(e for e in analyze(graph).errors if e["code"] == "cycle")
    assert "add1" in cycle["message"] and "conv2" in cycle["message"]


def test_version_1_refuses_merges_and_numbered_inputs_but_reads_as_before():
    graph = residual()
    graph["version"] = 1
    errors = analyze(graph).errors
    assert ("add1", "merge_needs_version_2") in {(e["node"], e["code"]) for e in errors}
    assert ("add1", "input_needs_version_2") in {(e["node"], e["code"]) for e in errors}
    chain = example("digits-cnn.json")
    assert analyze(chain).ok and "nn.Sequential(" in compile_graph(chain)


def test_a_chain_in_version_2_means_what_it_meant_in_version_1():
    chain = example("digits-cnn.json")
    v2 = dict(copy.deepcopy(chain), version=2)
    assert analyze(v2).shapes == analyze(chain).shapes
    assert compile_graph(v2) == compile_graph(chain)


def test_the_generated_forward_reads_like_the_graph():
    source = compile_graph(residual())
    assert "class Net(nn.Layer):" in source
    forward = source[source.index("def forward(self, norm):"):source.index("def build_model")]
    lines = [line.strip() for line in forward.splitlines()[1:] if line.strip()]
    assert lines[0].startswith("conv1 = self.conv1(norm)")
    assert "add1 = bn2 + pool1  # Add -> [16, 8, 8]" in lines
    assert lines[-1] == "return head"
    assert len(lines) == 9 + 1  # one line per model node (conv1 ... head), then the return


def test_node_ids_that_are_not_python_names_still_compile():
    graph = residual()
    text = json.dumps(graph).replace('"conv2"', '"2-conv.a"').replace('"relu2"', '"eval"')
    source = compile_graph(json.loads(text))
    compile(source, "train.py", "exec")
    assert "eval_ = self.eval_(add1)" in source  # a node called eval must not hide nn.Layer.eval
    assert "n2_conv_a = self.n2_conv_a(pool1)" in source


def test_10000_node_branching_graph_validates_in_time():
    """Not a timing assertion: only that the DAG walk is iterative (no recursion limit) and finds all shapes."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from validate_speed import branching_graph

    result = analyze(branching_graph(10_000))
    assert result.ok, result.errors[:3]
    assert len(result.shapes) == 10_000


# -- real training -----------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("merge", ["Add", "Concat"])
def test_a_branching_graph_learns_digits_and_predicts_what_evaluation_gave(merge, tmp_path, python_env):
    from dragdl_core.runtime.datasets import digits, to_pil

    graph = residual(epochs=3)
    node(graph, "add1")["type"] = merge
    run_dir = write_run(tmp_path, graph)
    done = train(run_dir, python_env)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((run_dir / "report.json").read_text())
    assert report["accuracy"] > 0.85, report["accuracy"]

    saved = np.load(run_dir / "test_predictions.npz")
    data = digits(val_ratio=0.1, test_ratio=0.2, seed=0)
    path = tmp_path / "one.png"
    to_pil(data.test.images[3]).save(path)
    out = subprocess.run([sys.executable, "-m", "dragdl_core", "predict", str(run_dir), str(path), "--json"],
                         env=python_env, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    got = np.array([json.loads(out.stdout)[0]["probabilities"][str(c)] for c in range(10)])
    np.testing.assert_allclose(got, saved["probabilities"][3], atol=1e-5)


@pytest.mark.slow
def test_a_killed_branching_run_resumes_exactly(tmp_path, python_env):
    graph = residual(epochs=4, batch_size=16)
    reference = write_run(tmp_path, graph, "reference")
    assert train(reference, python_env).returncode == 0

    run_dir = write_run(tmp_path, graph, "killed")
    finished_before_kill = kill_after_a_checkpoint(run_dir, python_env)["epoch"]

    resumed = train(run_dir, python_env)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert epochs_logged(run_dir) == [0, 1, 2, 3]
    assert f"resumed from the checkpoint after epoch {finished_before_kill}" in (run_dir / "log.txt").read_text()
    np.testing.assert_allclose(np.load(run_dir / "test_predictions.npz")["probabilities"],
                               np.load(reference / "test_predictions.npz")["probabilities"], atol=1e-4)


# -- the canvas (pure part: what is drawn and the edits it makes) -------------------------------------------

def test_drawing_a_fork_and_a_merge_on_the_canvas_makes_a_version_2_graph_with_labelled_inputs():
    from dragdl_core.compiler import canvas

    graph = example("digits-cnn.json")
    graph, add_id = canvas.add_node(graph, "Add")
    assert graph["version"] == 2  # a merge node means branches
    graph["edges"] = [e for e in graph["edges"] if e["source"] != "pool2"]
    drawn = [{"source": s, "target": t} for s, t in
             (("pool2", "relu_x"), ("pool2", add_id), (add_id, "head"))]
    graph["nodes"].append({"id": "relu_x", "type": "ReLU", "params": {}})
    value = {"nodes": [{"id": n["id"], "position": {"x": 0, "y": 0}} for n in graph["nodes"]],
             "edges": graph["edges"] + drawn + [{"source": "relu_x", "target": add_id}]}
    merged, _ = canvas.merge_canvas(graph, value, None)
    result = analyze(merged)
    assert result.ok, result.errors
    assert result.shapes[add_id] == result.shapes["pool2"]  # shapes on every node of every branch
    assert result.shapes["relu_x"] == result.shapes["pool2"]
    labels = {(e["source"], e["target"]): e.get("label") for e in canvas.flow_edges(merged)}
    assert labels[("pool2", add_id)] == "input 0" and labels[("relu_x", add_id)] == "input 1"
    assert labels[("pool2", "relu_x")] is None
    positions = {n["id"]: n["position"] for n in merged["nodes"]}
    assert positions["relu_x"][1] < positions[add_id][1]  # the layout puts the merge below its branch


def test_changing_an_input_number_renumbers_the_others():
    from dragdl_core.compiler import canvas

    graph = residual()
    node(graph, "add1")["type"] = "Concat"
    moved = canvas.set_input(graph, canvas.edge_id("pool1", "add1"), 0)
    assert [e["source"] for e in canvas.merge_inputs(moved, "add1")] == ["pool1", "bn2"]
    assert sorted(e["input"] for e in moved["edges"] if e["target"] == "add1") == [0, 1]
    assert analyze(moved).inputs["add1"] == ["pool1", "bn2"]
    assert canvas.set_input(graph, canvas.edge_id("conv2", "bn2"), 1) == graph  # not a merge: unchanged


def test_an_unfinished_branching_graph_still_shows_shapes_on_every_branch():
    """While a student builds (a fork not yet joined, no head, no Trainer) each branch still gets its shape."""
    from dragdl_core.compiler.partial import analyze_so_far
    from dragdl_core.compiler.summary import summarize

    graph = residual()
    graph["nodes"] = [n for n in graph["nodes"] if n["id"] not in ("add1", "relu2", "pool2", "head", "train")]
    graph["nodes"].append({"id": "side", "type": "ReLU", "params": {}})
    graph["edges"] = [e for e in graph["edges"] if e["target"] in {n["id"] for n in graph["nodes"]}
                      and e["source"] in {n["id"] for n in graph["nodes"]}] + [{"source": "pool1", "target": "side"}]
    result = analyze(graph)
    assert {e["code"] for e in result.errors} == {"no_trainer"}, result.errors
    shown = analyze_so_far(graph, result)
    assert shown.shapes["bn2"] == [16, 8, 8] and shown.shapes["side"] == [16, 8, 8]
    assert {row["node"] for row in summarize(shown)["rows"]} >= {"bn2", "side"}


def test_nodes_json_describes_the_merge_nodes(python_env):
    out = subprocess.run([sys.executable, "-m", "dragdl_core", "nodes", "--json"], env=python_env, cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    docs = {d["type"]: d for d in json.loads(out.stdout)}
    for name in ("Add", "Concat"):
        assert docs[name]["inputs"].startswith("2 or more") and docs[name]["group"] == "Layers"
        assert docs[name]["description"]
    assert docs["Conv2D"]["inputs"] == "1" and docs["Digits"]["inputs"] == "none"


def test_deleting_a_node_inside_a_branch_keeps_its_place_among_the_merge_inputs():
    from dragdl_core.compiler import canvas

    graph = residual()
    node(graph, "add1")["type"] = "Concat"
    graph = canvas.delete_element(graph, "bn2")
    assert edge(graph, "conv2", "add1")["input"] == 0
    assert analyze(graph).inputs["add1"] == ["conv2", "pool1"]
    # deleting the only node of a skip path would make a second, identical edge: it is not bridged
    graph["nodes"].append({"id": "skip", "type": "ReLU", "params": {}})
    graph["edges"] = [e for e in graph["edges"] if not (e["source"] == "pool1" and e["target"] == "add1")]
    graph["edges"] += [{"source": "pool1", "target": "skip"}, {"source": "skip", "target": "add1", "input": 1},
                       {"source": "pool1", "target": "add1", "input": 2}]
    graph = canvas.delete_element(graph, "skip")
    assert [e for e in graph["edges"] if e["source"] == "pool1" and e["target"] == "add1"] == [
        {"source": "pool1", "target": "add1", "input": 2}]

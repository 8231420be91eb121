"""What the pages rely on beyond the canvas: form text, shapes while building, the model summary, sample
previews, run directories, display images and templates."""
import json
import math
import subprocess
import sys
import types

import numpy as np
import pytest

from conftest import ROOT, example
from ui_fixtures import trained_run  # noqa: F401  (fixture)

from dragdl_core.compiler import forms, registry
from dragdl_core.compiler.codegen import compile_graph
from dragdl_core.imaging import to_display
from dragdl_core.compiler.partial import analyze_so_far, completed
from dragdl_core.compiler.summary import summarize
from dragdl_core.compiler.templates import load_template, templates
from dragdl_core.compiler.validate import analyze


def chain(*nodes):
    """A graph from (id, type, params) triples, connected in order."""
    return {"format": "dragdl.graph", "version": 1, "name": "t",
            "nodes": [{"id": i, "type": t, "params": p} for i, t, p in nodes],
            "edges": [{"source": a[0], "target": b[0]} for a, b in zip(nodes, nodes[1:])]}


@pytest.mark.parametrize("text, scalar_ok, value", [
    ("16, 16", False, [16, 16]), ("[0.5 0.25]", False, [0.5, 0.25]), ("32", True, 32), ("32", False, [32]),
    ("", False, None), ("abc", False, "abc"), ("1, x", False, "1, x")])
def test_list_parameters_typed_as_text(text, scalar_ok, value):
    assert forms.text_to_numbers(text, scalar_ok) == value


def test_text_that_is_not_numbers_reaches_validation_and_gets_its_message():
    graph = chain(("d", "Digits", {}), ("r", "Resize", {"size": forms.text_to_numbers("big")}),
                  ("h", "ClassifierHead", {}), ("t", "Trainer", {}))
    [error] = analyze(graph).errors
    assert (error["node"], error["field"]) == ("r", "size") and "'big'" in error["message"]


def test_help_text_carries_description_bounds_and_default():
    text = forms.help_text(registry.get("Conv2D").params["kernel_size"])
    assert "width and height of each filter" in text and "1..31" in text and "default: 3" in text
    assert forms.numbers_to_text([0.5, 1.0]) == "0.5, 1"


def test_shapes_are_known_while_the_graph_is_still_being_built():
    graph = chain(("d", "Digits", {}), ("r", "Resize", {"size": [16, 16]}), ("c", "Conv2D", {"out_channels": 4}),
                  ("p", "MaxPool2D", {}))
    assert not analyze(graph).shapes  # no head or trainer yet: validation alone knows nothing
    assert analyze_so_far(graph).shapes == {"d": [1, 8, 8], "r": [1, 16, 16], "c": [4, 16, 16], "p": [4, 8, 8]}
    assert completed(graph, upto="zz") is None


def _paddle_parameter_counts(graph) -> list[int]:
    """Parameters per model node, counted by Paddle from the model the generated script builds."""
    analysis = analyze(graph)
    module = types.ModuleType("script")
    exec(compile(compile_graph(analysis), "train.py", "exec"), module.__dict__)
    layers = list(module.build_model(analysis.context.num_classes).children())
    counts = []
    for previous, node in zip(analysis.order, analysis.order[1:]):
        node_type = registry.get(node.type)
        if node_type.category not in ("layer", "head"):
            continue
        analysis.context.in_shape = analysis.shapes[previous.id]
        code = node_type.code(analysis.params[node.id], analysis.context)
        size = len(code) if isinstance(code, list) else 1  # a head is several Paddle layers
        taken, layers = layers[:size], layers[size:]
        counts.append(sum(int(np.prod(p.shape)) for layer in taken for p in layer.parameters()))
    return counts


@pytest.mark.parametrize("graph", [
    example("digits-cnn.json"),
    chain(("d", "Shapes", {"image_size": 16}), ("c", "Conv2D", {"out_channels": 6, "kernel_size": 5}),
          ("b", "BatchNorm2D", {}), ("f", "Flatten", {}), ("l", "Linear", {"out_features": 12}),
          ("h", "ClassifierHead", {"hidden_units": 0}), ("t", "Trainer", {})),
], ids=["digits-cnn", "batchnorm-linear"])
def test_model_summary_counts_parameters_as_paddle_does(graph):
    summary = summarize(analyze(graph))
    assert [r["parameters"] for r in summary["rows"]] == _paddle_parameter_counts(graph)
    assert summary["parameters"] == sum(_paddle_parameter_counts(graph))


SESSION_THREADS = """
import sys, threading
sys.path.insert(0, sys.argv[1])
first = threading.Thread(target=lambda: __import__("paddle"))  # the app's first session imports Paddle
first.start()
first.join()
from dragdl_core.runtime.preview import preview

graph = {"nodes": [{"id": "d", "type": "Digits"}, {"id": "c", "type": "RandomCrop", "params": {"size": [6, 6]}}],
         "edges": [{"source": "d", "target": "c"}]}
shown = []
second = threading.Thread(target=lambda: shown.append(preview(graph, "c", samples=2, draws=3)))
second.start()
second.join()
print("draws differ:", any(abs(row[0] - row[1]).max() > 0 for row in shown[0].draws))
"""


def test_a_preview_in_another_session_thread_draws_random_crops(python_env):
    """The app runs each session in its own thread. When Paddle was first imported in another thread, Paddle
    starts this one in static mode, where RandomCrop's Paddle-drawn offsets cannot be used."""
    out = subprocess.run([sys.executable, "-c", SESSION_THREADS, str(ROOT)], env=python_env, capture_output=True,
                         text=True, timeout=120)
    assert "draws differ: True" in out.stdout, out.stderr[-2000:]


def test_model_summary_matches_the_trained_report(trained_run):
    report = json.loads((trained_run / "report.json").read_text())
    graph = json.loads((trained_run / "graph.json").read_text())
    assert summarize(analyze(graph))["parameters"] == report["parameters"]


def test_preview_shows_augmentation_differing_between_draws_and_plain_steps_alike():
    from dragdl_core.runtime.preview import PreviewError, preview

    graph = chain(("d", "Digits", {}), ("r", "Resize", {"size": [16, 16]}),
                  ("a", "RandomAffine", {"degrees": 40}), ("n", "Normalize", {}))
    shown = preview(graph, "a", samples=3, draws=3)
    assert shown.random and len(shown.draws) == 3 and shown.draws[0][0].shape == (1, 16, 16)
    assert len(set(shown.classes)) == 3  # one image of each of three classes
    assert any(not np.allclose(row[0], row[1]) for row in shown.draws)
    plain = preview(graph, "r", samples=2, draws=2)
    assert not plain.random and all(np.allclose(row[0], row[1]) for row in plain.draws)
    cropped = chain(("d", "Digits", {}), ("c", "RandomCrop", {"size": [6, 6]}))  # eval: a CenterCrop
    assert preview(cropped, "c", samples=2, draws=2).random
    graph["nodes"][1]["params"]["size"] = [0, 16]
    with pytest.raises(PreviewError, match="Resize.size must be 1..4096"):
        preview(graph, "a")
    with pytest.raises(PreviewError, match="dataset or a transform"):
        preview(chain(("d", "Digits", {}), ("c", "Conv2D", {})), "c")


def test_run_directory_reading_tolerates_a_line_being_written(tmp_path):
    from dragdl_core import rundir

    (tmp_path / "metrics.jsonl").write_text(
        '{"kind": "step", "step": 1, "loss": 2.0}\n{"kind": "epoch", "epoch": 0, "val_accuracy": 0.5}\n{"kind": "ep')
    metrics = rundir.read_metrics(tmp_path)
    assert (len(metrics.steps), len(metrics.epochs), len(metrics.tests)) == (1, 1, 0)
    assert rundir.read_report(tmp_path) is None and rundir.log_tail(tmp_path) == ""
    assert rundir.task_record(tmp_path, "local")["state"] == "queued"


def test_a_finished_run_reads_back_with_report_and_misclassified_images(trained_run):
    from dragdl_core import rundir

    record = rundir.task_record(trained_run, "local")
    assert record["state"] == "succeeded" and record["accuracy"] > 0.5
    metrics = rundir.read_metrics(trained_run)
    assert metrics.epochs and metrics.steps and metrics.tests[0]["accuracy"] > 0.5
    wrong = rundir.misclassified(trained_run)
    assert wrong and all(w.label != w.predicted for w in wrong)


def test_display_images_are_stretched_and_enlarged():
    image = to_display(np.linspace(-1, 1, 64, dtype=np.float32).reshape(1, 8, 8), min_side=96)
    assert image.size == (96, 96) and image.mode == "L"
    pixels = np.asarray(image)
    assert pixels.min() == 0 and pixels.max() == 255
    assert to_display(np.zeros((3, 4, 4), dtype=np.float32)).mode == "RGB"


def stand_in_datasets(graph: dict) -> None:
    """Put a stand-in of the shape each dataset node declares where validation looks for it: empty files named
    as PaddlePaddle's downloader names them (validation only checks they are there) under a HOME of the test's
    own, or a small Shapes demo imported under the ImageFolder's name."""
    from dragdl_core import config
    from dragdl_core.stores.datasets.demo import write_demo
    from dragdl_core.nodes.datasets.paddle_downloads import PaddleDownload

    for spec in graph["nodes"]:
        node_type = registry.get(spec["type"])
        if isinstance(node_type, PaddleDownload):
            folder = config.paddle_cache_dir() / node_type.cache_folder
            folder.mkdir(parents=True, exist_ok=True)
            for name in node_type.files:
                (folder / name).touch()
        elif spec["type"] == "ImageFolder":
            params = spec["params"]
            write_demo(params["name"], image_size=params.get("image_size") or 32, per_class=6, replace=True)


def test_every_template_is_a_valid_graph_once_its_data_is_there(tmp_path, monkeypatch):
    """Offline too: every template is shape-checked against a stand-in of its dataset's declared shape."""
    monkeypatch.setenv("HOME", str(tmp_path))                 # Paddle's cache: empty, then the stand-ins
    found = templates()
    assert {"digits-small-cnn", "cifar10", "imagefolder-shapes-demo"} <= set(found)
    for title in found:
        graph = load_template(title)
        stand_in_datasets(graph)
        result = analyze(graph)
        assert result.ok, (title, result.errors)
        assert result.shapes[result.order[-1].id] == [result.context.num_classes], title
        compile_graph(result)


def test_templates_go_from_first_steps_to_transfer_learning_each_described():
    from dragdl_core.compiler.templates import describe

    examples = [t for t in templates() if not t.startswith("assignment: ")]
    assert examples[0] == "digits-small-cnn" and examples[-1] == "shapes-resnet18-frozen"
    for number, title in enumerate(examples, 1):
        line = describe(title)
        assert line.startswith(f"{number}. {title} — ")
        assert "%" in line or "needs a download" in line or "downloaded" in line, line

"""The Backbone node in the pure core: the catalog, shape inference, weights checks and the summary -
all without Paddle, as the canvas calls them on every change."""
from __future__ import annotations

import subprocess
import sys

import pytest

from backbone_graphs import backbone_graph
from conftest import ROOT, example
from dragdl_core import backbones
from dragdl_core.compiler import codegen, summary
from dragdl_core.compiler.validate import analyze

REQUIRED = ["resnet18", "resnet34", "resnet50", "vgg11", "vgg16", "mobilenet_v2", "mobilenet_v3_small",
            "mobilenet_v3_large", "shufflenet_v2_x0_25", "shufflenet_v2_x1_0", "squeezenet1_1", "densenet121"]


@pytest.fixture(autouse=True)
def empty_paddle_cache(tmp_path, monkeypatch):
    """PaddlePaddle's weights cache lives under HOME: point HOME at an empty folder."""
    monkeypatch.setenv("HOME", str(tmp_path / "user"))


def errors_of(graph, node="backbone"):
    return [e for e in analyze(graph).errors if e["node"] == node]


def test_catalog_has_every_classic_arch_described_as_data():
    catalog = backbones.catalog()
    assert set(REQUIRED) <= set(catalog)
    for arch in catalog.values():
        assert arch.blocks and arch.channels > 0 and arch.min_size >= 1
        assert len(arch.mean) == len(arch.std) == arch.in_channels
        assert arch.parameters == sum(b.parameters + b.statistics for b in arch.blocks)


def test_validating_a_backbone_graph_never_imports_paddle():
    example = str(ROOT / "examples" / "backbone-shapes.json")
    code = ("import sys; from pathlib import Path; from dragdl_core.compiler.validate import analyze\n"
            "from dragdl_core.compiler.summary import summarize\n"
            f"result = analyze(Path({example!r})); assert result.ok, result.errors\n"
            "assert summarize(result)['rows']\n"
            "assert 'paddle' not in sys.modules, 'paddle was imported'")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("arch", REQUIRED)
def test_backbone_gives_its_feature_vector_to_the_head(arch):
    result = analyze(backbone_graph(arch, image_size=64))
    assert result.ok, result.errors
    channels = backbones.get(arch).channels
    assert result.shapes["backbone"] == [channels]
    assert result.shapes["head"] == [4]


def test_grayscale_into_an_imagenet_backbone_names_the_fix():
    graph = backbone_graph(dataset={"id": "data", "type": "Digits", "params": {}},
                           transforms=[("Resize", {"size": [32, 32]})])
    (error,) = errors_of(graph)
    assert error["code"] == "bad_shape"
    assert "3 channels" in error["message"] and "Grayscale(num_output_channels=3)" in error["message"]
    fixed = backbone_graph(dataset={"id": "data", "type": "Digits", "params": {}},
                           transforms=[("Resize", {"size": [32, 32]}), ("Grayscale", {"num_output_channels": 3})])
    assert analyze(fixed).ok


def test_an_input_smaller_than_the_minimum_names_resize():
    (error,) = errors_of(backbone_graph("mobilenet_v2", image_size=16))
    assert "at least 32x32" in error["message"] and "Resize(size=[32, 32])" in error["message"]


def test_partial_freezing_cannot_ask_for_more_blocks_than_the_arch_has():
    (error,) = errors_of(backbone_graph("resnet18", freeze="partial", trainable_blocks=6))
    assert error["field"] == "trainable_blocks"
    assert "5 blocks (stem, layer1, layer2, layer3, layer4)" in error["message"]
    assert analyze(backbone_graph("resnet18", freeze="partial", trainable_blocks=5)).ok


def test_offline_imagenet_without_a_cached_file_is_a_validation_error_saying_how_to_provide_it():
    (error,) = errors_of(backbone_graph("resnet18", weights="imagenet"))
    assert error["field"] == "weights" and error["code"] == "weights_unavailable"
    assert "ask your instructor" in error["message"] and "'none'" in error["message"]
    assert "weights fetch resnet18" in error["detail"]  # for the instructor, who alone can run it
    assert "weights import resnet18.pdparams --arch resnet18" in error["detail"]


@pytest.mark.parametrize("arch, weights", [("resnet18", "imagenet"), ("vgg11", "imagenet"),
                                           ("resnet18", "my-pretrained")])
def test_a_weights_message_shows_a_student_no_server_path_and_no_command(arch, weights, tmp_path):
    """The Backbone's `weights` errors reach students on the canvas: what to choose, or whom to ask. Paddle's
    cache under the server's home, the store and the commands go to the detail the instructor expands."""
    from dragdl_core import config

    (error,) = errors_of(backbone_graph(arch, weights=weights))
    message, detail = error["message"], error["detail"]
    for server_only in (str(tmp_path), str(config.home()), "python -m", ".cache", "`"):
        assert server_only not in message, message
    assert "python -m dragdl_core" in detail
    assert arch in message and weights.lower() in message.lower()


def test_imagenet_weights_in_paddles_own_cache_are_found(tmp_path):
    cache = tmp_path / "user" / ".cache" / "paddle" / "hapi" / "weights"
    cache.mkdir(parents=True)
    (cache / "resnet18.pdparams").write_bytes(b"x")  # validation looks at files only
    assert analyze(backbone_graph("resnet18", weights="imagenet")).ok


def test_an_arch_without_published_imagenet_weights_says_so():
    (error,) = errors_of(backbone_graph("vgg11", weights="imagenet"))
    assert "publishes no ImageNet weights for vgg11" in error["message"]


def test_unknown_weights_and_unknown_arch_are_named(isolated_home):
    (error,) = errors_of(backbone_graph("resnet18", weights="my-shapes"))
    assert "no weights named 'my-shapes' for resnet18" in error["message"] and "pretrain" in error["detail"]
    folder = isolated_home / "weights" / "mobilenet_v2"
    folder.mkdir(parents=True)
    (folder / "my-shapes.pdparams").write_bytes(b"x")
    (error,) = errors_of(backbone_graph("resnet18", weights="my-shapes"))
    assert "made for mobilenet_v2, not resnet18" in error["message"]
    assert analyze(backbone_graph("mobilenet_v2", weights="my-shapes")).ok
    (error,) = errors_of(backbone_graph("resnet19"))
    assert error["field"] == "arch" and "resnet18" in error["message"]


def test_summary_counts_what_each_freeze_mode_trains():
    def totals(**backbone):
        s = summary.summarize(backbone_graph("resnet18", **backbone))
        return s["parameters"], s["trainable"]

    head = 512 * 4 + 4
    all_params = backbones.get("resnet18").parameters + head
    assert totals(freeze="features") == (all_params, head)
    assert totals(freeze="partial", trainable_blocks=1) == (all_params, 8_393_728 + head)
    learnable = sum(b.parameters for b in backbones.get("resnet18").blocks)
    assert totals(freeze="none") == (all_params, learnable + head)
    rows = summary.summarize(backbone_graph("resnet18"))["rows"]
    assert [r["layer"] for r in rows][:2] == ["resnet18.stem", "resnet18.layer1"]
    assert rows[0]["output_shape"] == [64, 8, 8] and rows[4]["output_shape"] == [512, 1, 1]


def test_feature_cache_only_when_the_backbone_is_frozen_and_nothing_random_runs_before_it():
    def cached(graph):
        return "backbones.FeatureLoader(backbone, train_loader)" in codegen.compile_graph(graph)

    assert cached(backbone_graph(freeze="features"))
    assert not cached(backbone_graph(freeze="none"))
    assert not cached(backbone_graph(freeze="partial"))
    assert not cached(backbone_graph(freeze="features", cache_features=False))
    assert not cached(backbone_graph(freeze="features", transforms=[("RandomHorizontalFlip", {})]))


def test_the_backbone_example_runs_offline_with_frozen_features():
    graph = example("backbone-shapes.json")
    result = analyze(graph)
    assert result.ok, result.errors
    backbone = result.params["backbone"]
    assert (backbone["weights"], backbone["freeze"]) == ("none", "features")  # no download needed
    assert "backbones.FeatureLoader" in codegen.compile_graph(result)


@pytest.mark.parametrize("role", ["student", "instructor"])
def test_the_api_gives_the_detail_to_an_instructor_only(role, isolated_home):
    from fastapi.testclient import TestClient

    from dragdl_core.api import create_app
    from dragdl_core.api.auth import current_actor
    from dragdl_core.classroom.access import Actor

    app = create_app()
    app.dependency_overrides[current_actor] = lambda: Actor("ada", role)
    errors = TestClient(app).post("/api/validate", json=backbone_graph("resnet18", weights="imagenet")).json()["errors"]
    (error,) = [e for e in errors if e["node"] == "backbone"]
    assert "python -m" not in error["message"]
    assert ("weights fetch resnet18" in error.get("detail", "")) == (role == "instructor")

"""Custom model families: an instructor registers a Python file; it becomes a Backbone arch like the
built-in ones (validated without running it, trained, frozen); a bad file is refused with one clear line."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from paddle import nn

from backbone_graphs import backbone_graph
from conftest import EXAMPLES, ROOT
from dragdl_core import backbones
from dragdl_core.compiler import summary
from dragdl_core.cli import main
from dragdl_core.compiler.validate import analyze


def register(name="tinynet", path=EXAMPLES / "custom_model.py", *extra) -> int:
    return main(["models", "register", str(path), "--name", name, *extra])


def test_a_registered_model_is_a_backbone_arch_that_trains(tmp_path, python_env, isolated_home):
    assert register() == 0
    arch = backbones.get("tinynet")
    assert "tinynet" in backbones.names() and arch.channels == 64 and len(arch.blocks) == 3
    assert arch.min_size == 8 and arch.mean == (0.5, 0.5, 0.5)

    graph = backbone_graph("tinynet", freeze="partial", trainable_blocks=1,
                           trainer={"epochs": 1, "batch_size": 16, "learning_rate": 0.01})
    result = analyze(graph)
    assert result.ok, result.errors
    assert result.shapes["backbone"] == [64]
    pure = summary.summarize(result)

    from dragdl_core.runtime.backbones import feature_extractor
    from dragdl_core.runtime.summary import model_summary
    measured = model_summary(nn.Sequential(feature_extractor("tinynet", freeze="partial"), nn.Linear(64, 4)),
                             [3, 32, 32])
    assert [(r["output_shape"], r["parameters"], r["trainable"]) for r in measured["rows"][:4]] == \
           [(r["output_shape"], r["parameters"], r["trainable"]) for r in pure["rows"][:4]]
    assert pure["rows"][0]["trainable"] == 0 and pure["rows"][2]["trainable"] > 0

    (tmp_path / "graph.json").write_text(json.dumps(graph))
    env = dict(python_env, DRAGDL_HOME=str(isolated_home))
    subprocess.run([sys.executable, "-m", "dragdl_core", "run", str(tmp_path / "graph.json"), "--run-dir",
                    str(tmp_path / "run")], cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["trainable_parameters"] == pure["trainable"]


@pytest.mark.parametrize("source, expected", [
    ("from paddle import nn\nclass Broken(nn.Layer:\n    pass\n", "fails on import: SyntaxError"),
    ("from paddle import nn\nclass NoFeatures(nn.Layer):\n    def __init__(self):\n        super().__init__()\n"
     "        self.body = nn.Conv2D(3, 8, 3)\n", "has no `features` sublayer"),
    ("from paddle import nn\nclass NeedsArgs(nn.Layer):\n    def __init__(self, width):\n"
     "        super().__init__()\n        self.features = nn.Conv2D(3, width, 3)\n", "without arguments"),
    ("x = 1\n", "must define one paddle.nn.Layer class"),
])
def test_a_file_that_is_not_a_model_family_is_refused_clearly(tmp_path, capsys, isolated_home, source, expected):
    (tmp_path / "model.py").write_text(source)
    assert register("mymodel", tmp_path / "model.py") == 2
    assert expected in capsys.readouterr().err
    assert "mymodel" not in backbones.names()
    assert not list((isolated_home / "models").iterdir())


def test_names_are_checked_and_removal_unregisters(capsys):
    assert register("resnet18") == 2 and "built-in" in capsys.readouterr().err
    assert register("Bad Name") == 2
    assert register() == 0
    assert register() == 2 and "--replace" in capsys.readouterr().err
    assert main(["models", "list"]) == 0 and "tinynet" in capsys.readouterr().out
    assert main(["models", "remove", "tinynet"]) == 0
    (error,) = [e for e in analyze(backbone_graph("tinynet")).errors if e["node"] == "backbone"]
    assert error["field"] == "arch"

"""The weights store: import round trip, PaddlePaddle's cache, clear errors for files that do not fit, and
offline ImageNet weights refused at validation (never a hang or a traceback)."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import paddle
import pytest

from backbone_graphs import backbone_graph
from conftest import ROOT
from dragdl_core import backbones
from dragdl_core.cli import main
from dragdl_core.runtime.backbones import build_network, feature_extractor

ARCH = "shufflenet_v2_x0_25"  # the smallest: quick to build and save


@pytest.fixture(autouse=True)
def empty_paddle_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    return tmp_path / "user" / ".cache" / "paddle" / "hapi" / "weights"


def saved_network(path, arch=ARCH, with_classifier=False):
    """A freshly initialised network's state dict, saved as PaddlePaddle weights; returns it as numpy."""
    from paddle.vision import models

    paddle.seed(7)
    net = getattr(models, arch)() if with_classifier else build_network(backbones.get(arch))
    state = net.state_dict()
    paddle.save(state, str(path))
    return {k: v.numpy() for k, v in state.items()}


def assert_loaded(extractor, expected):
    for key, value in extractor.net.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), expected[key], err_msg=key)


def test_import_then_use_by_name_round_trip(tmp_path, capsys):
    expected = saved_network(tmp_path / "mine.pdparams")
    assert main(["weights", "import", str(tmp_path / "mine.pdparams"), "--arch", ARCH, "--name", "mine"]) == 0
    assert main(["weights", "list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    (entry,) = listing["stored"]
    assert (entry["arch"], entry["name"], entry["source"]) == (ARCH, "mine", "imported")
    assert_loaded(feature_extractor(ARCH, weights="mine"), expected)
    assert main(["validate", "--json", _write(tmp_path, backbone_graph(ARCH, weights="mine"))]) == 0
    assert main(["weights", "import", str(tmp_path / "mine.pdparams"), "--arch", ARCH, "--name", "mine"]) == 2
    assert "exist already" in capsys.readouterr().err


def test_imagenet_resolves_through_paddles_cache_and_ignores_the_classifier(empty_paddle_cache):
    empty_paddle_cache.mkdir(parents=True)
    expected = saved_network(empty_paddle_cache / "shufflenet_v2_x0_25.pdparams", with_classifier=True)
    assert "_fc.weight" in expected  # the full ImageNet model, as PaddlePaddle publishes it
    assert_loaded(feature_extractor(ARCH, weights="imagenet"), expected)


def test_a_file_for_another_arch_or_not_weights_at_all_is_refused_clearly(tmp_path, capsys):
    saved_network(tmp_path / "other.pdparams", arch="mobilenet_v3_small")
    assert main(["weights", "import", str(tmp_path / "other.pdparams"), "--arch", ARCH]) == 2
    assert "does not fit shufflenet_v2_x0_25" in capsys.readouterr().err
    (tmp_path / "junk.pdparams").write_text("not weights")
    assert main(["weights", "import", str(tmp_path / "junk.pdparams"), "--arch", ARCH]) == 2
    assert "not a PaddlePaddle weights file" in capsys.readouterr().err
    assert main(["weights", "import", str(tmp_path / "missing.pdparams"), "--arch", ARCH]) == 2
    assert main(["weights", "import", str(tmp_path / "junk.pdparams"), "--arch", "resnet19"]) == 2
    assert not any((tmp_path / "home" / "weights").rglob("*.pdparams"))


def test_offline_imagenet_run_stops_at_validation_with_the_fix(tmp_path, python_env):
    graph = _write(tmp_path, backbone_graph("resnet18", weights="imagenet"))
    env = dict(python_env, HOME=str(tmp_path / "user"))
    done = subprocess.run([sys.executable, "-m", "dragdl_core", "run", graph, "--run-dir", str(tmp_path / "run")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "backbone.weights: ImageNet weights for resnet18 are not on this server yet" in done.stderr
    assert "weights import resnet18.pdparams --arch resnet18" in done.stderr
    assert not (tmp_path / "run").exists()


def test_fetch_explains_archs_without_published_weights(capsys):
    assert main(["weights", "fetch", "vgg11"]) == 2
    assert "publishes no ImageNet weights for vgg11" in capsys.readouterr().err


def _write(tmp_path, graph) -> str:
    path = tmp_path / "graph.json"
    path.write_text(json.dumps(graph))
    return str(path)


def test_weights_list_shows_every_arch_and_its_imagenet_state(capsys):
    assert main(["weights", "list"]) == 0
    out = capsys.readouterr().out
    assert "resnet18" in out and "not downloaded" in out and "not published" in out


def test_a_stored_file_that_went_bad_fails_the_run_with_its_path(tmp_path, isolated_home):
    folder = isolated_home / "weights" / ARCH
    folder.mkdir(parents=True)
    (folder / "broken.pdparams").write_text("truncated")
    with pytest.raises(RuntimeError, match="broken.pdparams is not a PaddlePaddle weights file"):
        feature_extractor(ARCH, weights="broken")




class _Payload:
    """What a hostile .pdparams holds: an object whose unpickling runs code (here: writes a marker file)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_import_never_unpickles_anything_but_tensors(tmp_path, capsys):
    import pickle

    marker = tmp_path / "code-ran"
    state = saved_network(tmp_path / "good.pdparams")
    hostile = {**state, "extra": _Payload(marker)}
    (tmp_path / "evil.pdparams").write_bytes(pickle.dumps(hostile))
    assert main(["weights", "import", str(tmp_path / "evil.pdparams"), "--arch", ARCH, "--name", "evil"]) == 2
    err = capsys.readouterr().err
    assert "holds a io.open object, not only tensors" in err and "Traceback" not in err
    assert not marker.exists()
    assert not any((tmp_path / "home" / "weights").rglob("*.pdparams"))

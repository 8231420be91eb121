"""Offline transfer learning at a tiny size (benchmarks/transfer.py has the full one): pretrain a backbone
on four shapes, register its weights by name, then train only a new head on four *other* shapes - it must
beat the same head on a randomly initialised backbone, at the same number of epochs."""
from __future__ import annotations

import json
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import transfer  # noqa: E402


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_head_only_fine_tuning_from_pretrained_weights_beats_random_init(tmp_path):
    results = transfer.experiment(transfer.TINY, tmp_path)
    assert results["source_accuracy"] > 0.6  # the source task was learned
    meta = json.loads((tmp_path / "home" / "weights" / transfer.TINY.arch / "shapes-source.json").read_text())
    assert meta["source"] == "pretrain" and meta["classes"] == transfer.SOURCE_CLASSES
    pretrained, random_init = results["mean_accuracy_shapes-source"], results["mean_accuracy_none"]
    assert pretrained > 0.5, results["runs"]
    assert pretrained > random_init + 0.15, results["runs"]
    assert {r["trainable"] for r in results["runs"]} == {64 * 4 + 4}  # only the head learned

"""Shared fixtures. Every test gets its own DRAGDL_HOME and datasets folder; nothing touches the checkout."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
sys.path.insert(0, str(ROOT))

if os.environ.get("DRAGDL_HYPOTHESIS_PROFILE") == "mutation":
    # benchmarks/mutation.py: a property test that fails has killed its mutant; shrinking the failing example
    # to a minimal one (many more Paddle runs) only makes the report nicer, so mutation runs skip it
    from hypothesis import Phase, settings

    settings.register_profile("mutation", phases=[Phase.explicit, Phase.reuse, Phase.generate], print_blob=False)
    settings.load_profile("mutation")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    home, datasets = tmp_path / "home", tmp_path / "datasets"
    home.mkdir()
    datasets.mkdir()
    monkeypatch.setenv("DRAGDL_HOME", str(home))
    monkeypatch.setenv("DRAGDL_DATASETS", str(datasets))
    return home


@pytest.fixture(autouse=True)
def nothing_remembered():
    """Answers the code remembers per process (Lambda trials, the canvas's analyses, sample images) start empty in every test:
    a test must not pass on an earlier test's answer, nor a mutmut run on the answers of the process it was
    forked from (computed with the code unchanged, they would hide the change under test)."""
    safe_expr = sys.modules.get("dragdl_core.compiler.safe_expr")
    if safe_expr is not None:
        safe_expr._trials.clear()
    partial = sys.modules.get("dragdl_core.compiler.partial")
    if partial is not None:
        partial._analyses.cache_clear()
        partial._summary.cache_clear()
    previews = sys.modules.get("app.previews")
    if previews is not None:
        previews.forget()
    templates = sys.modules.get("dragdl_core.compiler.templates")
    if templates is not None:
        templates._download_state_at.cache_clear()
        templates._downloaded_at.cache_clear()


def example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text())


def tiny_digits_graph(epochs: int = 1, **trainer) -> dict:
    """The Digits CNN example cut to a quick run."""
    graph = example("digits-cnn.json")
    graph["nodes"][-1]["params"].update({"epochs": epochs, **trainer})
    return graph


@pytest.fixture
def python_env():
    """Environment for subprocesses running generated scripts or the CLI."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONWARNINGS"] = "ignore:No ccache found"
    return env

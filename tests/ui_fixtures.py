"""A finished Digits run for the UI tests: trained for real once per test session with the CLI
(`python -m dragdl_core run`, ~7 s), then copied into each test's home where the app finds it."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import ROOT, tiny_digits_graph

RUN_ID = "digits-run"


def _train_once(base: Path, env: dict) -> Path:
    """Shared by every module that imports the fixtures: the first caller trains, the others reuse."""
    run_dir = base / "trained-digits"
    if not (run_dir / "report.json").exists():
        shutil.rmtree(run_dir, ignore_errors=True)
        graph = base / "digits-graph.json"
        graph.write_text(json.dumps(tiny_digits_graph(epochs=2)))
        subprocess.run([sys.executable, "-m", "dragdl_core", "run", str(graph), "--run-dir", str(run_dir)],
                       cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
    return run_dir


@pytest.fixture
def trained_run(tmp_path_factory, python_env) -> Path:
    return _train_once(tmp_path_factory.getbasetemp(), python_env)


@pytest.fixture
def finished_task(trained_run, isolated_home) -> str:
    """The trained run as the current user's finished task `digits-run` in this test's home."""
    shutil.copytree(trained_run, isolated_home / "runs" / "local" / RUN_ID)
    return RUN_ID


def digit_png(label: int = 3, size: int = 64) -> bytes:
    """A held-out scikit-learn digit enlarged to `size` pixels, as a student's own picture would be."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    index = int(np.flatnonzero(digits.target == label)[-1])
    pixels = np.round(digits.images[index] * 255 / 16).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).resize((size, size), Image.NEAREST).save(buffer, format="PNG")
    return buffer.getvalue()


def displayed(dataframe):
    """What an st.dataframe shows in its cells (a Styler's formatted values), as text."""
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    return convert_arrow_bytes_to_pandas_df(dataframe.proto.arrow_data.styler.display_values)

"""Where things live. Plain environment variables, so the worker, the app and the CLI agree."""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def home() -> Path:
    """DRAGDL_HOME, default `var/` in the checkout: runs, weights, Redis data."""
    return Path(os.environ.get("DRAGDL_HOME") or REPO_ROOT / "var").resolve()


def datasets_dir() -> Path:
    """User datasets (ImageFolder): DRAGDL_DATASETS, default `datasets/` in the checkout."""
    return Path(os.environ.get("DRAGDL_DATASETS") or REPO_ROOT / "datasets").resolve()


def runs_dir() -> Path:
    return home() / "runs"


def paddle_cache_dir() -> Path:
    """Where PaddlePaddle's own downloaders keep datasets (paddle.dataset.common.DATA_HOME)."""
    return Path.home() / ".cache" / "paddle" / "dataset"

"""Where things live, so the worker, the app and the CLI agree: a class's configuration file (DRAGDL_CONFIG,
see class_config) when there is one, else plain environment variables."""
from __future__ import annotations

from pathlib import Path

from .classroom import class_config

REPO_ROOT = class_config.REPO_ROOT


def home() -> Path:
    """The class file's `home`, else DRAGDL_HOME, default `var/` in the checkout: runs, weights, Redis data."""
    return class_config.current().home


def datasets_dir() -> Path:
    """User datasets (ImageFolder): the class file's `datasets`, else DRAGDL_DATASETS, default `datasets/` in
    the checkout (`<home>/datasets` for a class)."""
    return class_config.current().datasets_dir


def runs_dir() -> Path:
    return home() / "runs"


def paddle_cache_dir() -> Path:
    """Where PaddlePaddle's own downloaders keep datasets (paddle.dataset.common.DATA_HOME)."""
    return Path.home() / ".cache" / "paddle" / "dataset"

"""Paddle, imported once with its import-time noise filtered, and the one helper every model module needs.

Runtime modules import Paddle from here (`from .paddle_quiet import paddle, nn`) instead of relying on some
other module having filtered the warnings first: import order is not a side effect anyone should depend on."""
from __future__ import annotations

import warnings

import numpy as np

warnings.filterwarnings("ignore", message="No ccache found")  # printed by Paddle's import on every machine
warnings.filterwarnings("ignore", message="When training, we now always track")  # Paddle, on every BatchNorm
warnings.filterwarnings("ignore", message="The input state dict is empty")  # SGD has no optimizer state
import paddle  # noqa: E402
from paddle import nn  # noqa: E402

__all__ = ["paddle", "nn", "count_parameters"]


def count_parameters(layer: nn.Layer) -> tuple[int, int]:
    """(all parameters, trainable ones) - BatchNorm running statistics count as parameters, never trainable."""
    params = layer.parameters()
    total = sum(int(np.prod(p.shape)) for p in params)
    return total, sum(int(np.prod(p.shape)) for p in params if not p.stop_gradient)

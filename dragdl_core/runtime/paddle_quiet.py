"""Paddle, imported once without its start-up noise, and the one helper every model module needs.

Runtime modules import Paddle from here (`from .paddle_quiet import paddle, nn`) instead of relying on some
other module having filtered the warnings first: import order is not a side effect anyone should depend on.
Paddle prints "WARNING: OMP_NUM_THREADS set to N, not 1 ... PLEASE USE OMP_NUM_THREADS WISELY." whenever more
than one thread is asked for (as DragDL does on purpose, see dragdl_core/runtime/__init__.py), plus Python
warnings about its build: the import runs with stderr captured into `said`, which `Run` copies into log.txt."""
from __future__ import annotations

import contextlib
import io
import sys
import warnings

import numpy as np

said = ""  # what Paddle printed while importing, for the run's log


def _import_paddle():
    """`import paddle`, its stderr output kept in `said` instead of shown (once per process)."""
    global said
    if "paddle" not in sys.modules:
        buffer = io.StringIO()
        with contextlib.redirect_stderr(buffer), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import paddle  # noqa: F401
        said = buffer.getvalue().strip()
    return sys.modules["paddle"]


warnings.filterwarnings("ignore", message="No ccache found")  # printed by Paddle's import on every machine
warnings.filterwarnings("ignore", message="When training, we now always track")  # Paddle, on every BatchNorm
warnings.filterwarnings("ignore", message="The input state dict is empty")  # SGD has no optimizer state
paddle = _import_paddle()
from paddle import nn  # noqa: E402

__all__ = ["paddle", "nn", "count_parameters", "said"]


def count_parameters(layer: nn.Layer) -> tuple[int, int]:
    """(all parameters, trainable ones) - BatchNorm running statistics count as parameters, never trainable."""
    params = layer.parameters()
    total = sum(int(np.prod(p.shape)) for p in params)
    return total, sum(int(np.prod(p.shape)) for p in params if not p.stop_gradient)

"""The two transform steps DragDL adds to Paddle's own: the switch from PIL image to float array, and the
safe Lambda. Both are plain callables, so they sit in a `paddle.vision.transforms.Compose` like any other."""
from __future__ import annotations

import numpy as np

from ..compiler.safe_expr import SafeExpression


class ToFloatArray:
    """PIL image -> float32 (height, width, channels) array with values in 0..1."""

    def __call__(self, image) -> np.ndarray:
        arr = np.asarray(image, dtype=np.float32) / 255.0
        return arr[..., None] if arr.ndim == 2 else arr


class SafeLambda:
    """Apply a checked expression over `x` (see dragdl_core.compiler.safe_expr): no imports, files or attributes."""

    def __init__(self, expression: str):
        self.expression = SafeExpression(expression)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.expression.evaluate(np.asarray(x, dtype=np.float32))

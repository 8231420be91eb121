"""Images for people to look at: what a model sees is a float array in any range; a screen wants uint8."""
from __future__ import annotations

import numpy as np
from PIL import Image


def to_display(array: np.ndarray, min_side: int = 96) -> Image.Image:
    """A (C, H, W) float array - the layout models take - stretched to 0..255 per image and enlarged without smoothing
    (so an 8x8 digit stays crisp) until its shorter side is at least `min_side` pixels."""
    arr = np.asarray(array, dtype=np.float32).transpose(1, 2, 0)
    arr = arr[:, :, 0] if arr.shape[2] != 3 else arr  # one channel (or an odd count) shows as grey
    lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
    scaled = (arr - lo) / (hi - lo) if hi > lo else np.zeros_like(arr)
    return _upscale(Image.fromarray(np.nan_to_num(np.round(scaled * 255)).astype(np.uint8)), min_side)


def enlarge(path, min_side: int = 96) -> Image.Image:
    """An image file enlarged like `to_display`, for small images such as 8x8 digits."""
    with Image.open(path) as image:
        return _upscale(image.convert("RGB" if image.mode not in ("L", "RGB") else image.mode), min_side)


def _upscale(image: Image.Image, min_side: int) -> Image.Image:
    factor = max(1, -(-min_side // max(1, min(image.size))))
    if factor > 1:
        return image.resize((image.width * factor, image.height * factor), Image.NEAREST)
    return image.copy()

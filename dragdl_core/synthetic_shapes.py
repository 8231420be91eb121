"""The synthetic Shapes dataset: coloured shapes on coloured backgrounds, drawn deterministically from a seed.
It works offline at any size, which makes it the teaching set for augmentation and for CI. Pure (numpy and
Pillow): the store's demo dataset and the runtime both draw from here."""
from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

SHAPE_NAMES = ["circle", "square", "triangle", "cross", "diamond", "ring", "star", "bar"]


def _polygon(kind: str, cx: float, cy: float, r: float, angle: float) -> list[tuple[float, float]]:
    if kind == "square":
        corners = [(-1, -1), (1, -1), (1, 1), (-1, 1)]
        scale = 0.75
    elif kind == "triangle":
        corners = [(math.cos(a), math.sin(a)) for a in (-math.pi / 2, math.pi / 6, 5 * math.pi / 6)]
        scale = 1.0
    elif kind == "diamond":
        corners = [(0, -1), (0.6, 0), (0, 1), (-0.6, 0)]
        scale = 1.0
    elif kind == "star":
        corners = [((1.0 if i % 2 == 0 else 0.45) * math.cos(i * math.pi / 5 - math.pi / 2),
                    (1.0 if i % 2 == 0 else 0.45) * math.sin(i * math.pi / 5 - math.pi / 2)) for i in range(10)]
        scale = 1.0
    else:  # bar
        corners = [(-1, -0.25), (1, -0.25), (1, 0.25), (-1, 0.25)]
        scale = 1.0
    cos, sin = math.cos(angle), math.sin(angle)
    return [(cx + scale * r * (x * cos - y * sin), cy + scale * r * (x * sin + y * cos)) for x, y in corners]


def draw_one(kind: str, size: int, rng: np.random.RandomState, noise: float) -> np.ndarray:
    background = tuple(int(v) for v in rng.randint(0, 90, 3))
    colour = tuple(int(v) for v in rng.randint(140, 256, 3))
    img = Image.new("RGB", (size, size), background)
    draw = ImageDraw.Draw(img)
    r = size * rng.uniform(0.22, 0.34)
    cx, cy = rng.uniform(r + 1, size - r - 1, 2)
    angle = rng.uniform(-0.4, 0.4)
    width = max(1, int(r / 3))
    if kind == "circle":
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=colour)
    elif kind == "ring":
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=colour, width=width)
    elif kind == "cross":
        for a in (angle, angle + math.pi / 2):
            dx, dy = r * math.cos(a), r * math.sin(a)
            draw.line([cx - dx, cy - dy, cx + dx, cy + dy], fill=colour, width=width)
    else:
        draw.polygon(_polygon(kind, cx, cy, r, angle), fill=colour)
    arr = np.asarray(img, dtype=np.float32)
    if noise:
        arr = arr + rng.normal(0, 40 * noise, arr.shape)
    return np.clip(arr, 0, 255).astype(np.uint8)


def draw_shapes(num_classes: int, image_size: int, samples_per_class: int, noise: float, seed: int):
    """(images uint8 (N, H, W, 3), labels int64 (N,)); the same arguments always give the same images."""
    rng = np.random.RandomState(seed)
    images, labels = [], []
    for label, kind in enumerate(SHAPE_NAMES[:num_classes]):
        for _ in range(samples_per_class):
            images.append(draw_one(kind, image_size, rng, noise))
            labels.append(label)
    return np.stack(images), np.array(labels, dtype=np.int64)

"""Dataset sources for generated scripts: images decoded once and held in memory as uint8 HWC arrays,
split into stratified, seeded train / validation / test parts."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ..imaging import ImageReadError, read_image
from ..nodes.datasets.base import split_sizes
from ..stores.datasets.folders import image_files
from ..nodes.datasets.image_folder import class_folders
from ..compiler.registry import ShapeError


@dataclass
class Split:
    images: np.ndarray  # uint8, (N, H, W, C)
    labels: np.ndarray  # int64, (N,)

    def __len__(self):
        return len(self.labels)


@dataclass
class Data:
    train: Split
    val: Split
    test: Split
    classes: list[str]

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def image_shape(self) -> list[int]:
        n, h, w, c = self.train.images.shape
        return [c, h, w]


def to_pil(image: np.ndarray) -> Image.Image:
    """A uint8 HWC array as the PIL image the transforms start from."""
    return Image.fromarray(image[:, :, 0] if image.shape[2] == 1 else image)


def split(images: np.ndarray, labels: np.ndarray, classes: list[str], val_ratio: float, test_ratio: float,
          seed: int, limit_per_class: int | None = None) -> Data:
    """Stratified split: each class is shuffled with `seed` and cut in the same proportions."""
    rng = np.random.RandomState(seed)
    parts = {"train": [], "val": [], "test": []}
    for label in range(len(classes)):
        idx = np.flatnonzero(labels == label)
        rng.shuffle(idx)
        if limit_per_class:
            idx = idx[:limit_per_class]
        _, n_val, n_test = split_sizes(len(idx), val_ratio, test_ratio)
        parts["test"].append(idx[:n_test])
        parts["val"].append(idx[n_test:n_test + n_val])
        parts["train"].append(idx[n_test + n_val:])
    out = {}
    for name, chunks in parts.items():
        idx = np.sort(np.concatenate(chunks)) if chunks else np.zeros(0, dtype=int)
        out[name] = Split(images[idx], labels[idx].astype(np.int64))
    return Data(out["train"], out["val"], out["test"], list(classes))


def digits(val_ratio=0.1, test_ratio=0.2, seed=0, limit_per_class=None) -> Data:
    """scikit-learn's 8x8 digits (values 0..16) as uint8 grayscale images (0..255)."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.round(bunch.images * (255.0 / 16.0)).astype(np.uint8)[..., None]
    return split(images, bunch.target, [str(d) for d in range(10)], val_ratio, test_ratio, seed, limit_per_class)


def shapes(num_classes=4, image_size=32, samples_per_class=100, noise=0.1, val_ratio=0.1, test_ratio=0.2,
           seed=0, limit_per_class=None) -> Data:
    from ..synthetic_shapes import SHAPE_NAMES, draw_shapes

    images, labels = draw_shapes(num_classes, image_size, samples_per_class, noise, seed)
    return split(images, labels, SHAPE_NAMES[:num_classes], val_ratio, test_ratio, seed, limit_per_class)


def load_image(path: str | Path, size: int | None, color: str) -> np.ndarray:
    """One image file as uint8 HWC, read as a person sees it (`imaging.read_image`: upright, 8-bit,
    transparency on white) in the colour mode `color`, and (if given) resized to size x size."""
    img = read_image(path, color)
    if size:
        img = img.resize((size, size), Image.BILINEAR)
    arr = np.asarray(img, dtype=np.uint8)
    return arr[..., None] if arr.ndim == 2 else arr


def image_folder(name, image_size=64, color="rgb", val_ratio=0.1, test_ratio=0.2, seed=0,
                 limit_per_class=None) -> Data:
    try:
        folders = class_folders(name)
    except ShapeError as err:
        raise FileNotFoundError(err.message) from None
    images, labels, classes = [], [], []
    for label, folder in enumerate(folders):
        classes.append(folder.name)
        for path in image_files(folder):
            try:
                images.append(load_image(path, image_size, color))
            except ImageReadError:
                continue  # a corrupt file is reported by the import, not fatal to training
            labels.append(label)
    return split(np.stack(images), np.array(labels), classes, val_ratio, test_ratio, seed, limit_per_class)


def paddle_download(name, val_ratio=0.1, test_ratio=0.2, seed=0, limit_per_class=None) -> Data:
    """PaddlePaddle's own datasets (downloaded into its cache when online), pooled and re-split."""
    from paddle.vision import datasets as pd

    if name == "Flowers102":
        parts = [pd.Flowers(mode=m, download=True, backend="pil") for m in ("train", "valid", "test")]
        arrays = [np.asarray(img.convert("RGB").resize((64, 64), Image.BILINEAR), dtype=np.uint8)
                  for part in parts for img, _ in part]
        labels = np.array([int(np.asarray(lbl).ravel()[0]) - 1 for part in parts for _, lbl in part])
        return split(np.stack(arrays), labels, [f"flower {i + 1}" for i in range(102)], val_ratio,
                     test_ratio, seed, limit_per_class)
    cls = {"MNIST": pd.MNIST, "FashionMNIST": pd.FashionMNIST, "Cifar10": pd.Cifar10}[name]
    parts = [cls(mode=m, download=True, backend="pil") for m in ("train", "test")]
    arrays, labels = [], []
    for part in parts:
        for img, lbl in part:
            arr = np.asarray(img, dtype=np.uint8)
            arrays.append(arr.reshape(arr.shape[0], arr.shape[1], -1))
            labels.append(int(np.asarray(lbl).ravel()[0]))
    classes = {"MNIST": [str(d) for d in range(10)],
               "FashionMNIST": ["T-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
                                "sneaker", "bag", "ankle boot"],
               "Cifar10": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                           "truck"]}[name]
    return split(np.stack(arrays), np.array(labels), classes, val_ratio, test_ratio, seed, limit_per_class)

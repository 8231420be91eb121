"""How a backbone is described: as data, so validation, shape inference and the model summary know every
architecture without importing Paddle, and the runtime builds it from the same description."""
from __future__ import annotations

from dataclasses import dataclass, field

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
RELU = "relu()"  # a forward step that is a function call (paddle.nn.functional.relu), not a sublayer


@dataclass(frozen=True)
class Window:
    """A sliding window (convolution or pooling) that changes the spatial size: out = (in + 2p - k) // s + 1."""

    kernel: int
    stride: int
    padding: int = 0

    def apply(self, size: int) -> int:
        return (size + 2 * self.padding - self.kernel) // self.stride + 1


# The windows the classic networks downsample with. Every stride-2 window padded to keep "same" size
# (3x3 pad 1, 5x5 pad 2, 7x7 pad 3) halves rounding up; unpadded 2x2 pooling halves rounding down.
CONV7_S2 = Window(7, 2, 3)
HALVE = Window(3, 2, 1)
HALVE5 = Window(5, 2, 2)
POOL2 = Window(2, 2, 0)
POOL3 = Window(3, 2, 0)


@dataclass(frozen=True)
class Block:
    """One stage of a backbone, the unit of partial freezing.

    `layers` are the sublayer paths of the Paddle model (or RELU) that the stage runs, in forward order;
    `parameters` are its learnable weights, `statistics` its BatchNorm running means and variances (Paddle
    keeps those as parameters too, never trained)."""

    name: str
    layers: tuple[str, ...]
    channels: int
    windows: tuple[Window, ...] = ()
    parameters: int = 0
    statistics: int = 0


@dataclass(frozen=True)
class Arch:
    """One architecture cut to its feature extractor: the blocks, run in order, then a global average pool,
    giving a vector of `channels` features for the ClassifierHead."""

    name: str
    family: str
    description: str
    constructor: str                    # a function in paddle.vision.models (or the registered file's class)
    blocks: tuple[Block, ...]
    cut: dict = field(default_factory=dict)   # constructor arguments that drop the classifier
    min_size: int = 32                  # smallest height and width it takes
    in_channels: int = 3
    mean: tuple[float, ...] = IMAGENET_MEAN
    std: tuple[float, ...] = IMAGENET_STD
    imagenet_url: str | None = None     # PaddlePaddle's published ImageNet weights, if any
    imagenet_md5: str | None = None
    source: str | None = None           # the registered Python file of a custom model

    @property
    def channels(self) -> int:
        return self.blocks[-1].channels

    @property
    def steps(self) -> tuple[str, ...]:
        """The forward pass: every block's layers, in order."""
        return tuple(step for block in self.blocks for step in block.layers)

    @property
    def parameters(self) -> int:
        return sum(b.parameters + b.statistics for b in self.blocks)

    @property
    def imagenet_file(self) -> str | None:
        """The file name PaddlePaddle's downloader gives the ImageNet weights in its cache."""
        return self.imagenet_url.rsplit("/", 1)[-1] if self.imagenet_url else None

    def block_shapes(self, height: int, width: int) -> list[list[int]]:
        """[channels, height, width] after every block; a size of 0 or less means the input is too small."""
        shapes = []
        for block in self.blocks:
            for window in block.windows:
                height, width = window.apply(height), window.apply(width)
            shapes.append([block.channels, height, width])
        return shapes

    def trainable_blocks(self, freeze: str, count: int) -> list[Block]:
        """The blocks that learn: none (features), all (none) or the last `count` (partial)."""
        if freeze == "none":
            return list(self.blocks)
        if freeze == "partial":
            return list(self.blocks[len(self.blocks) - count:]) if count else []
        return []

    def to_doc(self) -> dict:
        """What the UI shows about an architecture."""
        return {"arch": self.name, "family": self.family, "description": self.description,
                "features": self.channels, "min_size": self.min_size, "in_channels": self.in_channels,
                "mean": list(self.mean), "std": list(self.std), "parameters": self.parameters,
                "blocks": [b.name for b in self.blocks], "imagenet": bool(self.imagenet_url),
                "custom": self.source is not None}


def stage(name: str, prefix: str, first: int, last: int, channels: int, windows=(), parameters: int = 0,
          statistics: int = 0) -> Block:
    """A block made of the numbered sublayers prefix.first .. prefix.last (e.g. features.4 .. features.6)."""
    layers = tuple(f"{prefix}.{i}" for i in range(first, last + 1))
    return Block(name, layers, channels, tuple(windows), parameters, statistics)

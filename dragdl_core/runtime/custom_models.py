"""Custom model families: import an instructor's Python file, measure its feature extractor, build it.

The file defines one `paddle.nn.Layer` subclass whose constructor takes no arguments and whose `features`
sublayer is the feature extractor (images [N, C, H, W] -> feature maps [N, channels, h, w]); anything else
in it (a classifier) is cut. If `features` is an `nn.Sequential`, each of its items is a block for partial
freezing. Optional module constants: IN_CHANNELS (3), MEAN and STD (ImageNet's for 3 channels), MIN_SIZE
(measured: the network's total stride - below it the last blocks see single pixels - or more if a layer
needs it, like the built-in archs).

Importing the file runs it: only instructors register models (see the README, "For a class")."""
from __future__ import annotations

import inspect
import math
from pathlib import Path

from .backbones import count_parameters  # first: it quiets Paddle's import warnings
from . import quiet  # noqa: E402,F401  (imports Paddle without its start-up warning on the terminal)
import paddle  # noqa: E402
from paddle import nn  # noqa: E402

from ..backbones.arch import IMAGENET_MEAN, IMAGENET_STD, Arch, Block  # noqa: E402
from ..backbones.custom import stride_windows  # noqa: E402
from .modules import import_file  # noqa: E402

FEATURES = "features"
PROBE_SIZE = 64


class ModelFileError(ValueError):
    """The file cannot be a model family; the message says what to change."""


def load_module(path: Path):
    try:
        return import_file(path, "dragdl_model_")
    except Exception as err:
        raise ModelFileError(f"{path.name} fails on import: {type(err).__name__}: {err}") from None


def instantiate(arch: Arch) -> nn.Layer:
    """A fresh instance of a registered model's class (the runtime cuts it to its features)."""
    module = load_module(Path(arch.source))
    return getattr(module, arch.constructor)()


def _layer_classes(module) -> list[type]:
    return [obj for obj in vars(module).values()
            if inspect.isclass(obj) and issubclass(obj, nn.Layer) and obj.__module__ == module.__name__]


def _pick_class(module, file_name: str, class_name: str | None) -> type:
    classes = _layer_classes(module)
    if class_name:
        match = [c for c in classes if c.__name__ == class_name]
        if not match:
            raise ModelFileError(f"{file_name} defines no paddle.nn.Layer class '{class_name}' "
                                 f"(found: {', '.join(c.__name__ for c in classes) or 'none'})")
        return match[0]
    if len(classes) > 1:
        classes = [c for c in classes if isinstance(getattr(_try_build(c), FEATURES, None), nn.Layer)]
    if len(classes) != 1:
        found = ", ".join(c.__name__ for c in _layer_classes(module)) or "none"
        raise ModelFileError(f"{file_name} must define one paddle.nn.Layer class with a `{FEATURES}` sublayer "
                             f"(found: {found}); name the class with --class")
    return classes[0]


def _try_build(cls: type) -> nn.Layer | None:
    try:
        return cls()
    except Exception:
        return None


def _runs(features: nn.Layer, channels: int, size: int) -> bool:
    try:
        with paddle.no_grad():
            out = features(paddle.zeros([1, channels, size, size]))
        return len(out.shape) == 4 and min(out.shape[2:]) >= 1
    except Exception:
        return False


def _smallest_input(features: nn.Layer, channels: int, largest: int) -> int:
    """Binary search for the smallest square input the extractor takes (assumes bigger always works)."""
    low, high = 1, largest
    while low < high:
        mid = (low + high) // 2
        if _runs(features, channels, mid):
            high = mid
        else:
            low = mid + 1
    return low


def probe(path: Path, name: str, class_name: str | None = None,
          description: str | None = None) -> Arch:
    """Import the file, find its class and measure its feature extractor: the Arch to register.
    ModelFileError when it does not follow the contract above."""
    module = load_module(path)
    cls = _pick_class(module, path.name, class_name)
    try:
        model = cls()
    except Exception as err:
        raise ModelFileError(f"{cls.__name__}() fails: {type(err).__name__}: {err} (the constructor must work "
                             "without arguments)") from None
    features = getattr(model, FEATURES, None)
    if not isinstance(features, nn.Layer):
        raise ModelFileError(f"{cls.__name__} has no `{FEATURES}` sublayer (the feature extractor DragDL keeps)")
    model.eval()
    in_channels = int(getattr(module, "IN_CHANNELS", 3))
    size = max(PROBE_SIZE, int(getattr(module, "MIN_SIZE", 1)))
    if not _runs(features, in_channels, size):
        raise ModelFileError(f"{cls.__name__}.{FEATURES} fails on a [1, {in_channels}, {size}, {size}] input or "
                             "does not return feature maps [N, channels, h, w]; set IN_CHANNELS / MIN_SIZE")
    children = list(features.named_children()) if isinstance(features, nn.Sequential) else []
    paths = [f"{FEATURES}.{child}" for child, _ in children] or [FEATURES]
    layers = [getattr(features, child) for child, _ in children] or [features]

    shapes = []
    hooks = [layer.register_forward_post_hook(lambda _l, _i, out: shapes.append(list(out.shape)))
             for layer in layers]
    with paddle.no_grad():
        features(paddle.zeros([1, in_channels, size, size]))
    for hook in hooks:
        hook.remove()
    blocks, strides, height = [], [], size
    for path_, layer, shape in zip(paths, layers, shapes):
        if len(shape) != 4:
            raise ModelFileError(f"{path_} returns {shape}; every block must return feature maps [N, C, h, w]")
        strides.append(max(1, round(height / shape[2])))
        height = shape[2]
        total, learnable = count_parameters(layer)
        blocks.append(Block(path_, (path_,), shape[1], stride_windows(strides[-1]), learnable, total - learnable))
    mean = tuple(float(v) for v in getattr(module, "MEAN", IMAGENET_MEAN if in_channels == 3 else (0.5,)))
    std = tuple(float(v) for v in getattr(module, "STD", IMAGENET_STD if in_channels == 3 else (0.5,)))
    if not len(mean) == len(std) == in_channels:
        raise ModelFileError(f"MEAN and STD need one value per input channel ({in_channels}); got "
                             f"{len(mean)} and {len(std)}")
    min_size = (int(getattr(module, "MIN_SIZE", 0))
                or max(math.prod(strides), _smallest_input(features, in_channels, size)))
    return Arch(name, "custom", description or (inspect.getdoc(cls) or f"custom model {name}").split("\n")[0],
                cls.__name__, tuple(blocks), min_size=min_size, in_channels=in_channels, mean=mean, std=std,
                source=str(path))

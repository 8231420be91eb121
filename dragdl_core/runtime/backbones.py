"""Backbones at run time: build the feature extractor an `Arch` describes, load its weights, freeze what
should not learn, and - for a frozen backbone - compute its features once.

Generated scripts call `backbones.feature_extractor(arch=..., weights=..., freeze=...)` inside `build_model`."""
from __future__ import annotations

import copy
import sys
import time
from pathlib import Path

import numpy as np

from .. import backbones as catalog, rundir
from ..stores import weights as store
from ..backbones.arch import RELU, Arch, Block
from .inference import run_layer
from .paddle_quiet import count_parameters, nn, paddle
from .training import Loader

F = nn.functional

# Layers that behave differently in training: a frozen block keeps them in evaluation mode.
MODE_DEPENDENT = (nn.BatchNorm, nn.BatchNorm1D, nn.BatchNorm2D, nn.BatchNorm3D, nn.Dropout, nn.Dropout2D,
                  nn.Dropout3D, nn.AlphaDropout)
FEATURE_BATCH = 64


class BackboneError(RuntimeError):
    """A backbone that cannot be built: an unknown arch, or weights that cannot be found, read or fitted to
    it; the message says which and why (a student reads it on Monitor), `detail` the server paths and commands
    that fix it (for the command line)."""

    def __init__(self, message: str, detail: str | None = None):
        super().__init__(message)
        self.detail = detail

    def for_command_line(self) -> str:
        return store.with_detail(str(self), self.detail)


def say(message: str) -> None:
    """A line for the run's log: on stderr, which a worker appends to log.txt (it drops stdout)."""
    print(rundir.log_line(message), file=sys.stderr, flush=True)


def arch_spec(name: str) -> Arch:
    arch = catalog.get(name)
    if arch is None:
        raise BackboneError(f"unknown backbone arch '{name}' (known: {', '.join(catalog.names())})")
    return arch


def sublayer(root: nn.Layer, path: str) -> nn.Layer:
    """`root.features.3` for the path 'features.3'."""
    layer = root
    for part in path.split("."):
        layer = getattr(layer, part)
    return layer


def build_network(arch: Arch) -> nn.Layer:
    """The Paddle model with everything the feature extractor does not run (the classifier) removed."""
    if arch.source:
        from .custom_models import instantiate
        net = instantiate(arch)
    else:
        from paddle.vision import models
        net = getattr(models, arch.constructor)(**arch.cut)
    used = {step.split(".")[0] for step in arch.steps if step != RELU}
    for name, _ in list(net.named_children()):
        if name not in used:
            delattr(net, name)
    return net


class FeatureExtractor(nn.Layer):
    """Images [N, C, H, W] -> features [N, channels]: the arch's blocks in order, then a global average pool.

    The Paddle model sits in `net` under its own layer names, so ImageNet files and DragDL's stored weights
    load into it alike."""

    def __init__(self, arch: Arch, net: nn.Layer):
        super().__init__()
        self.arch = arch
        self.net = net
        self.pool = nn.AdaptiveAvgPool2D(1)
        self._steps = [F.relu if step == RELU else sublayer(net, step) for step in arch.steps]

    def forward(self, images):
        x = images
        for step in self._steps:
            x = step(x)
        return paddle.flatten(self.pool(x), 1)

    def block_layers(self, block: Block) -> list[nn.Layer]:
        return [sublayer(self.net, path) for path in block.layers if path != RELU]


def _stay_in_eval(layer, inputs):
    """Forward pre-hook: a frozen BatchNorm normalises with its learned statistics and never updates them
    (a frozen Dropout keeps everything), even after model.train()."""
    layer.training = False


def apply_freeze(extractor: FeatureExtractor, freeze: str, trainable_blocks: int = 1) -> None:
    """Stop gradients to every block that must not learn; keep its BatchNorm (and Dropout) layers in
    evaluation mode, so a frozen block computes the same features in every epoch."""
    learning = {b.name for b in extractor.arch.trainable_blocks(freeze, trainable_blocks)}
    hooked = set()
    for block in extractor.arch.blocks:
        if block.name in learning:
            continue
        for layer in extractor.block_layers(block):
            for param in layer.parameters():
                param.stop_gradient = True
            for sub in [layer, *layer.sublayers()]:
                if isinstance(sub, MODE_DEPENDENT) and id(sub) not in hooked:
                    sub.register_forward_pre_hook(_stay_in_eval)
                    hooked.add(id(sub))


def weights_file(arch: Arch, weights: str) -> Path:
    """The store, then Paddle's cache, then (ImageNet only, when online) Paddle's own download."""
    found = store.find(arch, weights)
    if found:
        return found
    if weights == store.IMAGENET and arch.imagenet_url:
        from paddle.utils.download import get_weights_path_from_url
        try:
            return Path(get_weights_path_from_url(arch.imagenet_url, arch.imagenet_md5))
        except Exception as err:  # Paddle raises RuntimeError, or whatever httpx raised, when offline
            message, detail = store.advice(arch, weights)
            raise BackboneError(message, f"download failed: {err}; {detail}") from None
    raise BackboneError(*store.advice(arch, weights))


def load_weights(extractor: FeatureExtractor, path: Path) -> None:
    """Load a state dict that holds every tensor the extractor needs (extra ones, e.g. a classifier, are
    ignored); BackboneError saying what does not fit otherwise."""
    from ..stores.tensor_file import TensorFileError, read_tensors

    try:
        state = read_tensors(path)  # never paddle.load: a pickle could run code before anything is checked
    except TensorFileError as err:
        raise BackboneError(str(err)) from None
    own = extractor.net.state_dict()
    missing = [k for k in own if k not in state]
    wrong = [k for k in own if k in state and list(state[k].shape) != list(own[k].shape)]
    if missing or wrong:
        example = (missing or wrong)[0]
        raise BackboneError(f"{path} does not fit {extractor.arch.name}: {len(missing)} of {len(own)} tensors "
                           f"missing and {len(wrong)} of another shape (first: {example})")
    extractor.net.set_state_dict({k: state[k] for k in own})


def feature_extractor(arch: str, weights: str = "none", freeze: str = "features",
                      trainable_blocks: int = 1) -> FeatureExtractor:
    """The Backbone node: build, load weights, freeze; prints how many parameters will learn."""
    spec = arch_spec(arch)
    extractor = FeatureExtractor(spec, build_network(spec))
    if weights != store.NONE:
        load_weights(extractor, weights_file(spec, weights))
    apply_freeze(extractor, freeze, trainable_blocks)
    total, trainable = count_parameters(extractor)
    say(f"backbone {spec.name} (weights: {weights}, freeze: {freeze}): {total:,} parameters, "
        f"{trainable:,} trainable")
    return extractor


def extract_features(backbone: nn.Layer, loader: Loader) -> np.ndarray:
    """Every image of `loader` (in order, unshuffled) through the frozen backbone in evaluation mode:
    [N, features], on the runtime's inference path (oneDNN; a predictor for large datasets)."""
    ordered = copy.copy(loader)
    ordered.shuffle, ordered.batch_size = False, max(loader.batch_size, FEATURE_BATCH)
    name = f"backbone {backbone.arch.name}" if isinstance(backbone, FeatureExtractor) else "backbone"
    chunks = list(run_layer(backbone, (images for images, _ in ordered.arrays()), images=len(loader.split),
                            frozen=True, what=name))
    return np.concatenate(chunks) if chunks else np.zeros((0, 0), dtype=np.float32)


class FeatureLoader(Loader):
    """`loader` with every image replaced by its features from a frozen backbone, computed once. Batches are
    shuffled exactly as `loader`'s would be (same seed and epoch), so training the head on them gives what
    training the whole model would."""

    def __init__(self, backbone: nn.Layer, loader: Loader):
        super().__init__(loader.split, loader.transform, loader.batch_size, shuffle=loader.shuffle,
                         seed=loader.seed)
        self.epoch = loader.epoch
        started, cpu = time.perf_counter(), time.process_time()
        self._cache = extract_features(backbone, loader)
        say(f"features of {len(self._cache)} images computed once in {time.perf_counter() - started:.2f} s "
            f"({time.process_time() - cpu:.2f} s CPU; frozen backbone)")


def save_from_run(checkpoint: Path, arch: Arch, name: str, prefix: str = "0.net.") -> Path:
    """Store the backbone of a trained model's checkpoint as weights `name` for `arch`. In a version-1
    model the backbone is the first layer of the nn.Sequential, so its tensors are `0.net.<paddle name>`."""
    state = paddle.load(str(checkpoint))
    tensors = {key[len(prefix):]: value for key, value in state.items() if key.startswith(prefix)}
    if not tensors:
        raise BackboneError(f"{checkpoint} holds no backbone tensors ({prefix}*)")
    target = store.stored_path(arch.name, name)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    paddle.save(tensors, str(tmp))
    load_weights(FeatureExtractor(arch, build_network(arch)), tmp)  # fails here, not in a later graph
    tmp.replace(target)
    return target

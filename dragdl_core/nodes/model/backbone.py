"""The Backbone node: a classic network (or a registered custom one) cut to its feature extractor."""
from __future__ import annotations

from dataclasses import dataclass, field

from ... import backbones
from ...stores import weights as weights_store
from ...compiler.params import Bool, Choice, Int, Param, Text
from ...compiler.registry import NodeType, ShapeError, kwargs_code, register


@dataclass(frozen=True)
class ArchChoice(Param):
    """A choice among the catalog's architectures, read when asked: a newly registered model shows up
    without a restart."""

    kind: str = field(default="choice", init=False)

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(backbones.names())

    def _check(self, value, where):
        return Choice(choices=self.choices)._check(value, where)

    def bounds_text(self):
        return " | ".join(self.choices)


@register
class Backbone(NodeType):
    """A classic network pretrained or not, cut to its feature extractor: images in, a feature vector out."""

    category = "backbone"
    imports = ("from dragdl_core.runtime import backbones",)
    params = {
        "arch": ArchChoice("resnet18", "the architecture: a classic network, or one your instructor registered"),
        "weights": Text(weights_store.IMAGENET, "imagenet, none (random start) or the name of stored weights",
                        max_length=64),
        "freeze": Choice("features", "what learns: features = only the head, none = every layer, partial = "
                         "the last trainable_blocks blocks and the head",
                         choices=("features", "none", "partial")),
        "trainable_blocks": Int(1, "with freeze = partial: how many blocks, counted from the end, learn",
                                min=1, max=64),
        "cache_features": Bool(True, "with freeze = features and no Random* transform: compute the backbone's "
                               "features once and train the head on them (same result, much faster)"),
    }

    def check(self, params):
        arch = backbones.get(params["arch"])
        problems = []
        if params["freeze"] == "partial" and params["trainable_blocks"] > len(arch.blocks):
            names = ", ".join(b.name for b in arch.blocks)
            problems.append(("trainable_blocks", "out_of_range",
                             f"{arch.name} has {len(arch.blocks)} blocks ({names}); "
                             f"Backbone.trainable_blocks must be 1..{len(arch.blocks)}, got "
                             f"{params['trainable_blocks']}"))
        unavailable = weights_store.advice(arch, params["weights"])
        if unavailable:
            problems.append(("weights", "weights_unavailable", *unavailable))  # message, detail
        return problems

    def infer_shape(self, params, in_shape, ctx):
        arch = backbones.get(params["arch"])
        if len(in_shape) != 3:
            raise ShapeError(f"{arch.name} needs images [channels, height, width], got {in_shape}")
        channels, height, width = in_shape
        if channels != arch.in_channels:
            colour = ("colour images (3 channels)" if arch.in_channels == 3
                      else f"{arch.in_channels}-channel images")
            raise ShapeError(f"{arch.name} takes {colour} but gets {channels} channel(s); add "
                             f"Grayscale(num_output_channels={arch.in_channels}) among the transforms")
        if min(height, width) < arch.min_size:
            raise ShapeError(f"{arch.name} needs images of at least {arch.min_size}x{arch.min_size}, gets "
                             f"{height}x{width}; add Resize(size=[{max(arch.min_size, height)}, "
                             f"{max(arch.min_size, width)}]) among the transforms")
        return [arch.channels]

    def code(self, params, ctx):
        names = ["arch", "weights", "freeze"] + (["trainable_blocks"] if params["freeze"] == "partial" else [])
        return f"backbones.feature_extractor({kwargs_code(params, names)})"

    def caches_features(self, params) -> bool:
        """Whether its features are the same every epoch (frozen), so they can be computed once - provided
        no random transform runs before it, which the compiler checks."""
        return params["freeze"] == "features" and params["cache_features"]

    def summary_rows(self, params, in_shape) -> list[dict]:
        """One row per block (output shape, parameters, how many learn), then the global pool."""
        arch = backbones.get(params["arch"])
        learning = {b.name for b in arch.trainable_blocks(params["freeze"], params["trainable_blocks"])}
        rows = [{"layer": f"{arch.name}.{block.name}", "output_shape": shape,
                 "parameters": block.parameters + block.statistics,
                 "trainable": block.parameters if block.name in learning else 0}
                for block, shape in zip(arch.blocks, arch.block_shapes(in_shape[1], in_shape[2]))]
        rows.append({"layer": f"{arch.name}.global_pool", "output_shape": [arch.channels], "parameters": 0,
                     "trainable": 0})
        return rows


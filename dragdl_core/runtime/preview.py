"""Sample images after a chosen transform, drawn several times so random augmentation shows.

The pipeline is not rebuilt by hand: the path up to the chosen node is compiled into a training script
(`dragdl_core.compiler.codegen`, completed by stand-ins - see dragdl_core.compiler.partial) and that script's own
`load_data` and `train_transform` are used, so the preview shows exactly what training will do."""
from __future__ import annotations

import json
import random
import types
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from ..compiler import registry
from ..compiler.codegen import compile_graph, has_random_transform
from ..compiler.partial import completed
from ..compiler.validate import analyze
from .eager import ensure_eager

CACHE_SIZE = 8
DATA_CACHE_BYTES = 256 << 20  # decoded datasets kept for the next preview (per process: a sandbox child)


class PreviewError(ValueError):
    """Why there is nothing to preview yet; one line the student can act on."""


@dataclass
class Preview:
    node: str
    classes: list[str]                       # the class of each sample row
    draws: list[list[np.ndarray]]            # draws[sample][draw]: (C, H, W) float arrays
    random: bool                             # a Random* transform is on the path: draws differ
    shape: list[int] = field(default_factory=list)


class _LRU(OrderedDict):
    """At most CACHE_SIZE entries and, when `weigh` is given, at most `budget` bytes (the newest stays)."""

    def __init__(self, weigh=None, budget: int = 0):
        super().__init__()
        self.weigh, self.budget = weigh, budget

    def get_or(self, key, make):
        if key in self:
            self.move_to_end(key)
            return self[key]
        value = self[key] = make()
        while len(self) > CACHE_SIZE or (self.weigh and len(self) > 1
                                         and sum(map(self.weigh, self.values())) > self.budget):
            self.popitem(last=False)
        return value


def _data_bytes(data) -> int:
    return sum(part.images.nbytes + part.labels.nbytes for part in (data.train, data.val, data.test))


_scripts = _LRU()
_data = _LRU(_data_bytes, DATA_CACHE_BYTES)


def _script_module(text: str) -> types.ModuleType:
    def build():
        module = types.ModuleType("dragdl_preview")
        exec(compile(text, "<dragdl preview>", "exec"), module.__dict__)
        return module
    return _scripts.get_or(text, build)


def _seed(draw: int) -> None:
    import paddle

    random.seed(draw)
    np.random.seed(draw)
    paddle.seed(draw)


def preview(graph: dict, node_id: str, samples: int = 4, draws: int = 3) -> Preview:
    """`samples` training images of different classes after the path up to `node_id` (a dataset or a
    transform), each transformed `draws` times with different seeds."""
    node = next((n for n in graph.get("nodes", []) if n["id"] == node_id), None)
    node_type = registry.get(node["type"]) if node else None
    if node_type is None or node_type.category not in ("dataset", "transform"):
        raise PreviewError("a preview shows images after a dataset or a transform node")
    partial = completed(graph, upto=node_id)
    if partial is None:
        raise PreviewError(f"connect '{node_id}' to a dataset (through its transforms) to preview it")
    analysis = analyze(partial)
    if analysis.errors:
        raise PreviewError(f"fix this first: {analysis.errors[0]['message']}")
    ensure_eager()  # Random* transforms draw with Paddle ops, in the page's own thread
    module = _script_module(compile_graph(analysis))
    dataset = partial["nodes"][0]
    data = _data.get_or(json.dumps([dataset["type"], analysis.params[dataset["id"]]], sort_keys=True),
                        module.load_data)
    picked = _one_per_class(data.train.labels, samples)
    from .datasets import to_pil

    grid = []
    for index in picked:
        row = []
        for draw in range(draws):
            _seed(draw)
            row.append(np.asarray(module.train_transform(to_pil(data.train.images[index])), dtype=np.float32))
        grid.append(row)
    return Preview(node_id, [data.classes[data.train.labels[i]] for i in picked], grid,
                   has_random_transform(analysis),
                   analysis.shapes.get(node_id, []))


def _one_per_class(labels: np.ndarray, count: int) -> list[int]:
    """Indices of the first image of each class, for up to `count` classes (then more of the first ones)."""
    firsts = [int(np.flatnonzero(labels == label)[0]) for label in np.unique(labels)]
    picked = firsts[:count]
    extra = (i for i in range(len(labels)) if i not in picked)
    return picked + [next(extra) for _ in range(min(count, len(labels)) - len(picked))]

"""Graphs with a Backbone, for the backbone tests: dataset -> (transforms) -> Backbone -> head -> Trainer."""
from __future__ import annotations


def backbone_graph(arch="resnet18", weights="none", freeze="features", image_size=32, transforms=(),
                   dataset=None, head=None, trainer=None, **backbone) -> dict:
    """`transforms` are (type, params) pairs placed before a Normalize; `dataset` replaces the Shapes node."""
    nodes = [dataset or {"id": "data", "type": "Shapes",
                         "params": {"num_classes": 4, "image_size": image_size, "samples_per_class": 20}}]
    nodes += [{"id": f"t{i}", "type": kind, "params": params} for i, (kind, params) in enumerate(transforms)]
    nodes += [{"id": "norm", "type": "Normalize", "params": {"mean": [0.5], "std": [0.5]}},
              {"id": "backbone", "type": "Backbone",
               "params": {"arch": arch, "weights": weights, "freeze": freeze, **backbone}},
              {"id": "head", "type": "ClassifierHead", "params": head or {"hidden_units": 0}},
              {"id": "train", "type": "Trainer", "params": trainer or {"epochs": 1, "batch_size": 16}}]
    edges = [{"source": a["id"], "target": b["id"]} for a, b in zip(nodes, nodes[1:])]
    return {"format": "dragdl.graph", "version": 1, "name": f"{arch}-test", "nodes": nodes, "edges": edges}

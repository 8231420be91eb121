"""The model summary the canvas shows: per layer, its output shape, its parameters and how many of them
learn - worked out from the inferred shapes alone (pure, no Paddle), on every change of the graph.

A Backbone contributes one row per block. `dragdl_core.runtime.summary` measures the same on a built model."""
from __future__ import annotations

from . import registry
from .validate import Analysis, analyze

MODEL_CATEGORIES = ("layer", "backbone", "head")


def summarize(source) -> dict:
    """{"rows": [{"node", "layer", "output_shape", "parameters", "trainable"}], "parameters", "trainable",
    "errors"} for a graph (pathlib.Path, JSON text, dict, Graph or Analysis). In a graph with errors the rows stop
    at the first node whose shape is not known, so the canvas can show the part that is sound."""
    analysis = source if isinstance(source, Analysis) else analyze(source)
    rows = []
    for node in analysis.order[1:]:
        if node.id not in analysis.shapes:
            if analysis.graph.version == 1:
                break
            continue  # another branch may still be known
        node_type = registry.get(node.type)
        if node_type.category in MODEL_CATEGORIES:
            first_input = analysis.inputs[node.id][0]
            rows.extend(dict(row, node=node.id) for row in node_rows(node_type, node, analysis, first_input))
    return {"rows": rows, "parameters": sum(r["parameters"] for r in rows),
            "trainable": sum(r["trainable"] for r in rows), "errors": analysis.errors}


def node_rows(node_type, node, analysis: Analysis, input_id: str) -> list[dict]:
    params, in_shape = analysis.params[node.id], analysis.shapes[input_id]
    rows = node_type.summary_rows(params, in_shape)
    if rows is not None:
        return rows
    total, trainable = node_type.count_parameters(params, in_shape, analysis.shapes[node.id])
    return [{"layer": f"{node.id} ({node.type})", "output_shape": analysis.shapes[node.id],
             "parameters": total, "trainable": trainable}]

"""The model summary shown for model nodes: each model node's output shape and parameter count, as
`print(model)` tables do, computed from the declarations without building the model."""
from __future__ import annotations

from dataclasses import dataclass

from . import registry
from .validate import Analysis

MODEL_CATEGORIES = ("layer", "backbone", "head")


@dataclass
class SummaryRow:
    node: str
    type: str
    output_shape: list[int]
    parameters: int | None  # None: the node type does not say


def model_summary(analysis: Analysis) -> list[SummaryRow]:
    """Rows for the model nodes along the analysed path, up to the first node without a known shape."""
    rows, previous = [], None
    for node in analysis.order:
        shape = analysis.shapes.get(node.id)
        if shape is None:
            break
        node_type = registry.get(node.type)
        if node_type.category in MODEL_CATEGORIES and previous is not None:
            analysis.context.in_shape = previous
            count = node_type.parameter_count(analysis.params[node.id], previous, analysis.context)
            rows.append(SummaryRow(node.id, node.type, shape, count))
        previous = shape
    return rows


def total_parameters(rows: list[SummaryRow]) -> int | None:
    """The sum, or None when any row's count is unknown (a partial total would mislead)."""
    if any(r.parameters is None for r in rows):
        return None
    return sum(r.parameters for r in rows)

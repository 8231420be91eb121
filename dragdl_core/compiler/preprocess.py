"""A run's evaluation-time preprocessing as data, for models used outside DragDL.

Inside DragDL prediction imports `eval_transform` from the run's own train.py. An exported model travels
without Paddle and without DragDL, so its preprocessing goes along as `preprocess.json`: the steps each
transform node declares in `eval_steps` (dragdl_core/nodes/transforms/), which the zip's predict.py replays
with Pillow and numpy. Pure core: no Paddle."""
from __future__ import annotations

from . import registry
from .validate import analyze

FORMAT = "dragdl.preprocess"
VERSION = 1


class PreprocessError(ValueError):
    """A transform that cannot be described as data; the message names the node."""


def describe(graph, image_shape: list[int] | None = None) -> dict:
    """preprocess.json for a graph: how to read an image (`image`: colour mode and the dataset's native
    size, as prediction inside DragDL does) and the ordered `steps`. `image_shape` is the run's
    model/meta.json `image_shape` ([C, H, W] of the dataset); the graph's inferred one otherwise."""
    analysis = analyze(graph)
    if analysis.errors:
        raise PreprocessError("the run's graph is not valid: " + analysis.errors[0]["message"])
    dataset = analysis.order[0]
    channels, height, width = image_shape or analysis.shapes[dataset.id]
    steps, converted = [], False
    for node in analysis.order:
        node_type = registry.get(node.type)
        if node_type.category != "transform":
            continue
        try:
            node_steps = node_type.eval_steps(analysis.params[node.id])
        except NotImplementedError as err:
            raise PreprocessError(f"node '{node.id}': {err}; this graph cannot be exported") from None
        if node_steps and node_type.stage == "array" and not converted:
            steps.append({"op": "to_float"})
            converted = True
        steps += node_steps
    if not converted:
        steps.append({"op": "to_float"})
    steps.append({"op": "to_chw"})
    return {"format": FORMAT, "version": VERSION,
            "image": {"mode": "L" if channels == 1 else "RGB", "size": [height, width]},
            "steps": steps}

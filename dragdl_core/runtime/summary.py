"""The model summary measured on a built Paddle model: what `dragdl_core.compiler.summary` works out from shapes,
checked by running one batch. A FeatureExtractor contributes one row per block, like the pure summary."""
from __future__ import annotations

from ..backbones.arch import RELU
from .backbones import FeatureExtractor, sublayer
from .paddle_quiet import count_parameters, nn, paddle

F = nn.functional


def _row(layer_name: str, x, layers) -> dict:
    total = trainable = 0
    for layer in layers:
        t, tr = count_parameters(layer)
        total, trainable = total + t, trainable + tr
    return {"layer": layer_name, "output_shape": list(x.shape[1:]), "parameters": total, "trainable": trainable}


@paddle.no_grad()
def model_summary(model: paddle.nn.Sequential, input_shape: list[int]) -> dict:
    """Rows of {"layer", "output_shape", "parameters", "trainable"} for one zero image of `input_shape`."""
    was_training = model.training
    model.eval()
    x = paddle.zeros([1, *input_shape])
    rows = []
    for index, layer in enumerate(model):
        if isinstance(layer, FeatureExtractor):
            counted = set()
            for block in layer.arch.blocks:
                fresh = []
                for step in block.layers:
                    x = F.relu(x) if step == RELU else sublayer(layer.net, step)(x)
                    if step != RELU and step not in counted:
                        counted.add(step)
                        fresh.append(sublayer(layer.net, step))
                rows.append(_row(f"{layer.arch.name}.{block.name}", x, fresh))
            x = paddle.flatten(layer.pool(x), 1)
            rows.append(_row(f"{layer.arch.name}.global_pool", x, [layer.pool]))
        else:
            x = layer(x)
            rows.append(_row(f"{index} ({type(layer).__name__})", x, [layer]))
    if was_training:
        model.train()
    return {"rows": rows, "parameters": sum(r["parameters"] for r in rows),
            "trainable": sum(r["trainable"] for r in rows)}

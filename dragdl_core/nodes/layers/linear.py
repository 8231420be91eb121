from ...compiler.params import Int
from ...compiler.registry import ShapeError, register
from .base import LayerNode


@register
class Linear(LayerNode):
    """Fully connected layer: every input feature connects to each of `out_features` outputs."""

    params = {"out_features": Int(64, "number of output features", min=1, max=65536)}

    def layer_shape(self, params, shape):
        if len(shape) != 1:
            raise ShapeError(f"needs a flat input, got {shape}; put a Flatten before it")
        return [params["out_features"]]

    def count_parameters(self, params, in_shape, out_shape) -> tuple[int, int]:
        n = (in_shape[0] + 1) * params["out_features"]
        return n, n

    def code(self, params, ctx):
        return f"nn.Linear({ctx.in_shape[0]}, {params['out_features']})"

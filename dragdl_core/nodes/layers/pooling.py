from ...compiler.params import Int
from ...compiler.registry import kwargs_code, register
from .base import LayerNode, window_output

POOL_PARAMS = {
    "kernel_size": Int(2, "width and height of each pooling window", min=1, max=32),
    "stride": Int(None, "step between windows (none = kernel_size)", min=1, max=32, optional=True),
}


class Pool2D(LayerNode):
    needs_image = True
    params = POOL_PARAMS

    def layer_shape(self, params, shape):
        k = params["kernel_size"]
        s = params["stride"] or k
        what = f"{self.name}.kernel_size"
        return [shape[0], window_output(shape[1], k, s, 0, "kernel_size", what),
                window_output(shape[2], k, s, 0, "kernel_size", what)]

    def code(self, params, ctx):
        return f"nn.{self.name}({kwargs_code(params)})"


@register
class MaxPool2D(Pool2D):
    """Max pooling: keeps the largest value of each window, halving the size with the defaults."""


@register
class AvgPool2D(Pool2D):
    """Average pooling: keeps the mean of each window, halving the size with the defaults."""


@register
class AdaptiveAvgPool2D(LayerNode):
    """Average pooling to a fixed `output_size`, whatever the input size."""

    needs_image = True
    params = {"output_size": Int(1, "height and width of the output", min=1, max=64)}

    def layer_shape(self, params, shape):
        return [shape[0], params["output_size"], params["output_size"]]

    def code(self, params, ctx):
        return f"nn.AdaptiveAvgPool2D({kwargs_code(params)})"

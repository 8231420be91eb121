from ...compiler.params import Int
from ...compiler.registry import kwargs_code, register
from .base import LayerNode, window_output


@register
class Conv2D(LayerNode):
    """2-D convolution: `out_channels` filters of `kernel_size` slide over the image."""

    needs_image = True
    params = {
        "out_channels": Int(16, "number of filters, i.e. channels of the output", min=1, max=4096),
        "kernel_size": Int(3, "width and height of each filter", min=1, max=31),
        "stride": Int(1, "step between filter positions", min=1, max=16),
        "padding": Int(1, "zeros added on every side of the input", min=0, max=32),
    }

    def layer_shape(self, params, shape):
        k, s, p = params["kernel_size"], params["stride"], params["padding"]
        h = window_output(shape[1], k, s, p, "kernel_size", "Conv2D.kernel_size")
        w = window_output(shape[2], k, s, p, "kernel_size", "Conv2D.kernel_size")
        return [params["out_channels"], h, w]

    def count_parameters(self, params, in_shape, out_shape) -> tuple[int, int]:
        """(parameters, trainable): the filters and one bias per output channel."""
        n = in_shape[0] * params["out_channels"] * params["kernel_size"] ** 2 + params["out_channels"]
        return n, n

    def code(self, params, ctx):
        rest = kwargs_code(params, ["kernel_size", "stride", "padding"])
        return f"nn.Conv2D({ctx.in_shape[0]}, {params['out_channels']}, {rest})"

from ...compiler.params import Int
from ...compiler.registry import register
from .base import TransformNode


@register
class Pad(TransformNode):
    """Add `padding` pixels of value `fill` on every side."""

    params = {
        "padding": Int(4, "pixels added on every side", min=0, max=1024),
        "fill": Int(0, "pixel value of the padding (0 = black, 255 = white)", min=0, max=255),
    }

    def transform_shape(self, params, shape):
        pad = 2 * params["padding"]
        return [shape[0], shape[1] + pad, shape[2] + pad]

    def eval_steps(self, params):
        return [{"op": "pad", "padding": params["padding"], "fill": params["fill"]}]

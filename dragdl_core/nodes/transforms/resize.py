from ...compiler.params import Choice, Numbers
from ...compiler.registry import register
from .base import TransformNode

INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "box", "lanczos", "hamming")


@register
class Resize(TransformNode):
    """Scale the image to `size` (height, width); one number scales the shorter side, keeping the aspect."""

    params = {
        "size": Numbers([32, 32], "target size: [height, width], or one number for the shorter side",
                        min_length=2, max_length=2, min=1, max=4096, integer=True, scalar_ok=True),
        "interpolation": Choice("bilinear", "how new pixels are computed", choices=INTERPOLATIONS),
    }

    def eval_steps(self, params):
        return [{"op": "resize", "size": params["size"], "interpolation": params["interpolation"]}]

    def transform_shape(self, params, shape):
        size = params["size"]
        if isinstance(size, list):
            return [shape[0], size[0], size[1]]
        h, w = shape[1], shape[2]
        if h <= w:
            return [shape[0], size, int(size * w / h)]
        return [shape[0], int(size * h / w), size]

import math

from ...compiler.registry import register
from .base import LayerNode


@register
class Flatten(LayerNode):
    """Turn an image-shaped tensor into a flat vector of features, for Linear layers."""

    params = {}

    def layer_shape(self, params, shape):
        return [math.prod(shape)]

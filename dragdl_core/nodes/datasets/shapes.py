from ...compiler.params import Float, Int
from ...compiler.registry import register
from .base import SPLIT_PARAMS, DatasetNode


@register
class Shapes(DatasetNode):
    """Synthetic coloured shapes (circle, square, triangle, ...) drawn from the seed; any size, offline."""

    loader = "shapes"
    params = {
        "num_classes": Int(4, "how many shape kinds to draw", min=2, max=8),
        "image_size": Int(32, "width and height of each image in pixels", min=8, max=512),
        "samples_per_class": Int(100, "images generated for each shape", min=10, max=20_000),
        "noise": Float(0.1, "strength of the pixel noise and colour variation", min=0.0, max=1.0),
        **SPLIT_PARAMS,
    }

    def image_shape(self, params):
        return [3, params["image_size"], params["image_size"]]

    def num_classes(self, params):
        return params["num_classes"]

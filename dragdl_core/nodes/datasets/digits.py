from ...compiler.registry import register
from .base import SPLIT_PARAMS, DatasetNode


@register
class Digits(DatasetNode):
    """scikit-learn's 8x8 handwritten digits: 1,797 grayscale images, 10 classes, works offline."""

    loader = "digits"
    params = dict(SPLIT_PARAMS)

    def image_shape(self, params):
        return [1, 8, 8]

    def num_classes(self, params):
        return 10

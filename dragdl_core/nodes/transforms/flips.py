from ...compiler.params import Float
from ...compiler.registry import register
from .base import TransformNode

PROB = Float(0.5, "chance that an image is flipped", min=0.0, max=1.0)


@register
class RandomHorizontalFlip(TransformNode):
    """Mirror the image left-right with probability `prob` while training (augmentation)."""

    random = True
    params = {"prob": PROB}


@register
class RandomVerticalFlip(TransformNode):
    """Mirror the image top-bottom with probability `prob` while training (augmentation)."""

    random = True
    params = {"prob": PROB}

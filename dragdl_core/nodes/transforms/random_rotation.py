from ...params import Float
from ...registry import register
from .base import TransformNode


@register
class RandomRotation(TransformNode):
    """Rotate the image by a random angle up to `degrees` either way while training (augmentation)."""

    random = True
    params = {"degrees": Float(15.0, "largest rotation either way, in degrees", min=0.0, max=180.0)}

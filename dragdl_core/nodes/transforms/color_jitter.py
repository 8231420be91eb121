from ...compiler.params import Float
from ...compiler.registry import register
from .base import TransformNode


@register
class ColorJitter(TransformNode):
    """Randomly change brightness, contrast, saturation and hue while training (augmentation)."""

    random = True
    params = {
        "brightness": Float(0.2, "largest brightness change, as a factor around 1", min=0.0, max=1.0),
        "contrast": Float(0.2, "largest contrast change, as a factor around 1", min=0.0, max=1.0),
        "saturation": Float(0.2, "largest saturation change, as a factor around 1", min=0.0, max=1.0),
        "hue": Float(0.0, "largest hue shift, as a share of the colour wheel", min=0.0, max=0.5),
    }

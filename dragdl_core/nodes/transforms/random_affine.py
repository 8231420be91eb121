from ...compiler.params import Float, Numbers
from ...compiler.registry import register
from .base import TransformNode


@register
class RandomAffine(TransformNode):
    """Randomly rotate, shift, scale and shear the image while training (augmentation)."""

    random = True
    params = {
        "degrees": Float(10.0, "largest rotation either way, in degrees", min=0.0, max=180.0),
        "translate": Numbers(None, "largest shift as a share of [width, height], e.g. [0.1, 0.1]",
                             min_length=2, max_length=2, min=0.0, max=1.0, optional=True),
        "scale": Numbers(None, "range of zoom factors [min, max], e.g. [0.9, 1.1]",
                         min_length=2, max_length=2, min=0.1, max=10.0, optional=True),
        "shear": Float(None, "largest shear either way, in degrees", min=0.0, max=89.0, optional=True),
    }

    def check(self, params):
        scale = params["scale"]
        if scale and scale[0] > scale[1]:
            return [("scale", "out_of_range", f"RandomAffine.scale must be [min, max], got {scale}")]
        return []

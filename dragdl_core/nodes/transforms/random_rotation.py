from ...params import Float
from ...registry import kwargs_code, register
from .base import TransformNode


@register
class RandomRotation(TransformNode):
    """Rotate the image by a random angle up to `degrees` either way while training (augmentation)."""

    random = True
    params = {"degrees": Float(15.0, "largest rotation either way, in degrees", min=0.0, max=180.0)}

    def code(self, params, ctx):
        """Paddle's PIL rotate turns the default fill 0 into (0, 0, 0), which a grayscale image refuses
        ("color must be int or single-element tuple"): one channel gets a one-element fill."""
        fill = ", fill=(0,)" if ctx.in_shape and ctx.in_shape[0] == 1 else ""
        return f"T.RandomRotation({kwargs_code(params)}{fill})"

from ...compiler.params import Float, Int
from ...compiler.registry import register
from .base import TransformNode


@register
class RandomRotation(TransformNode):
    """Rotate the image by a random angle up to `degrees` either way while training (augmentation)."""

    random = True
    params = {
        "degrees": Float(15.0, "largest rotation either way, in degrees", min=0.0, max=180.0),
        "fill": Int(0, "pixel value of the corners the rotation uncovers (0 = black, 255 = white)", min=0, max=255),
    }

    def code(self, params, ctx):
        # Paddle turns an int fill into an RGB triple, which PIL refuses for a 1-channel image: give a grey
        # image a one-value fill instead (Paddle passes a tuple through as it is).
        grey = bool(ctx.in_shape) and ctx.in_shape[0] == 1
        fill = f"({params['fill']},)" if grey else str(params["fill"])
        return f"T.RandomRotation(degrees={params['degrees']!r}, fill={fill})"

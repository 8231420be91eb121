from ...compiler.params import Choice
from ...compiler.registry import register
from .base import TransformNode


@register
class Grayscale(TransformNode):
    """Convert to gray; `num_output_channels` 3 repeats the gray channel for colour models."""

    params = {"num_output_channels": Choice(1, "channels of the gray image: 1, or 3 for colour models",
                                            choices=(1, 3))}

    def transform_shape(self, params, shape):
        return [params["num_output_channels"], shape[1], shape[2]]

    def eval_steps(self, params):
        return [{"op": "grayscale", "channels": params["num_output_channels"]}]

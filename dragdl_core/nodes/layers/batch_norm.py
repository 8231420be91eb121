from ...compiler.registry import register
from .base import LayerNode


@register
class BatchNorm2D(LayerNode):
    """Batch normalisation over channels: steadies and speeds up training of conv nets."""

    needs_image = True
    params = {}

    def count_parameters(self, params, in_shape, out_shape) -> tuple[int, int]:
        """(parameters, trainable): scale and shift learn; the running mean and variance (Paddle counts
        them as parameters too) do not."""
        return 4 * in_shape[0], 2 * in_shape[0]

    def code(self, params, ctx):
        return f"nn.BatchNorm2D({ctx.in_shape[0]})"

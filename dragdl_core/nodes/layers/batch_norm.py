from ...registry import register
from .base import LayerNode


@register
class BatchNorm2D(LayerNode):
    """Batch normalisation over channels: steadies and speeds up training of conv nets."""

    needs_image = True
    params = {}

    def code(self, params, ctx):
        return f"nn.BatchNorm2D({ctx.in_shape[0]})"

    def parameter_count(self, params, in_shape, ctx):
        return 4 * in_shape[0]  # scale and shift, plus the running mean and variance Paddle stores

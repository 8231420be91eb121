from ...registry import register
from .base import LayerNode


@register
class BatchNorm2D(LayerNode):
    """Batch normalisation over channels: steadies and speeds up training of conv nets."""

    needs_image = True
    params = {}

    def code(self, params, ctx):
        return f"nn.BatchNorm2D({ctx.in_shape[0]})"

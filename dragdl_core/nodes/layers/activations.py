from ...compiler.registry import register
from .base import LayerNode


@register
class ReLU(LayerNode):
    """Rectified linear unit: keeps positive values, sets negative ones to zero."""

    params = {}

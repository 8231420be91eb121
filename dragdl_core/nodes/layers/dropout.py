from ...compiler.params import Float
from ...compiler.registry import register
from .base import LayerNode


@register
class Dropout(LayerNode):
    """Randomly zero a share `p` of the values while training, against overfitting."""

    params = {"p": Float(0.5, "share of values set to zero while training", min=0.0, max=0.95)}

    def code(self, params, ctx):
        return f"nn.Dropout(p={params['p']})"

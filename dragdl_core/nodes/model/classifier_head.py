import math

from ...compiler.params import Float, Int
from ...compiler.registry import NodeType, register


@register
class ClassifierHead(NodeType):
    """Flatten, an optional hidden layer with ReLU, then one output per class (inferred from the dataset)."""

    category = "head"
    params = {
        "hidden_units": Int(64, "size of the hidden layer (0 = none, straight to the classes)", min=0, max=16384),
        "dropout": Float(0.0, "dropout before the last layer, against overfitting", min=0.0, max=0.95),
    }

    def infer_shape(self, params, in_shape, ctx):
        return [ctx.num_classes]

    def count_parameters(self, params, in_shape, out_shape) -> tuple[int, int]:
        features, hidden = math.prod(in_shape), params["hidden_units"]
        n = (features + 1) * hidden + (hidden + 1) * out_shape[0] if hidden else (features + 1) * out_shape[0]
        return n, n

    def code(self, params, ctx):
        """A list of layers, so they read one per line in the generated model."""
        features = math.prod(ctx.in_shape)
        layers = ["nn.Flatten()"] if len(ctx.in_shape) > 1 else []
        if params["hidden_units"]:
            layers += [f"nn.Linear({features}, {params['hidden_units']})", "nn.ReLU()"]
            features = params["hidden_units"]
        if params["dropout"]:
            layers.append(f"nn.Dropout(p={params['dropout']})")
        layers.append(f"nn.Linear({features}, num_classes)")
        return layers

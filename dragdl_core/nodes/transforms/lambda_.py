from ...params import Choice, Text
from ...registry import ShapeError, register
from ...safe_expr import ExpressionError, SafeExpression, trial_shape
from .base import TransformNode


@register
class Lambda(TransformNode):
    """Your own expression over `x`, the image as a float32 (height, width, channels) array in 0..1."""

    stage = "array"
    params = {
        "expression": Text("x", "a numpy expression over x, e.g. clip(x * 1.2, 0, 1)", max_length=500),
        "apply": Choice("all", "`train`: only while training (augmentation); `all`: also at test and "
                        "prediction time", choices=("train", "all")),
    }

    def train_only(self, params):
        return params["apply"] == "train"

    def check(self, params):
        try:
            SafeExpression(params["expression"])  # syntax only: shape inference runs it on the real shape
        except ExpressionError as err:
            return [("expression", "unsafe_expression", f"Lambda.expression: {err}")]
        return []

    def transform_shape(self, params, shape):
        try:
            h, w, c = trial_shape(params["expression"], (shape[1], shape[2], shape[0]))
        except ExpressionError as err:
            raise ShapeError(str(err), "expression") from None
        if params["apply"] == "train" and [c, h, w] != shape:
            raise ShapeError(f"a train-only Lambda must keep the shape {shape}, but gives {[c, h, w]}; "
                             "evaluation would see a different shape", "expression")
        return [c, h, w]

    def eval_steps(self, params):
        return [] if self.train_only(params) else [{"op": "expression", "expression": params["expression"]}]

    def code(self, params, ctx):
        return f"SafeLambda({params['expression']!r})"

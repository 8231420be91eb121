import time

from ...compiler.params import Choice, Text
from ...compiler.registry import ShapeError, register
from ...compiler.safe_expr import TIME_LIMIT_S, ExpressionError, SafeExpression, trial_shape
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

    def infer_shape(self, params, in_shape, ctx):
        """As every array-stage transform, but the trial gets what is left of the graph's time budget."""
        ctx.extra.setdefault("array_stage_node", ctx.extra.get("current_node", self.name))
        return self.transform_shape(params, list(in_shape), ctx.extra.get("deadline"))

    def transform_shape(self, params, shape, deadline=None):
        limit = TIME_LIMIT_S if deadline is None else max(0.05, min(TIME_LIMIT_S, deadline - time.monotonic()))
        try:
            h, w, c = trial_shape(params["expression"], (shape[1], shape[2], shape[0]), time_limit=limit)
        except ExpressionError as err:
            if limit < TIME_LIMIT_S and "took longer than" in str(err):  # the graph's budget ran out, not 1 s
                raise ShapeError("validation stopped here: the whole graph's time budget ran out during this "
                                 "Lambda's trial; make the Lambdas before it cheaper", "expression") from None
            raise ShapeError(str(err), "expression") from None
        if params["apply"] == "train" and [c, h, w] != shape:
            raise ShapeError(f"a train-only Lambda must keep the shape {shape}, but gives {[c, h, w]}; "
                             "evaluation would see a different shape", "expression")
        return [c, h, w]

    def eval_steps(self, params):
        return [] if self.train_only(params) else [{"op": "expression", "expression": params["expression"]}]

    def code(self, params, ctx):
        return f"SafeLambda({params['expression']!r})"

from ...compiler.params import Numbers
from ...compiler.registry import ShapeError, kwargs_code, register
from .base import TransformNode


@register
class Normalize(TransformNode):
    """Subtract `mean` and divide by `std` per channel, on pixel values scaled to 0..1."""

    stage = "array"
    params = {
        "mean": Numbers([0.5], "per-channel mean to subtract (one value for all channels)",
                        min_length=1, max_length=4, min=-10.0, max=10.0),
        "std": Numbers([0.5], "per-channel standard deviation to divide by",
                       min_length=1, max_length=4, min=1e-6, max=100.0),
    }

    def transform_shape(self, params, shape):
        for key in ("mean", "std"):
            if len(params[key]) not in (1, shape[0]):
                raise ShapeError(f"{key} has {len(params[key])} values but the image has {shape[0]} "
                                 f"channel(s); give 1 or {shape[0]}", key)
        return shape

    def eval_steps(self, params):
        return [{"op": "normalize", "mean": list(params["mean"]), "std": list(params["std"])}]

    def code(self, params, ctx):
        return f"T.Normalize({kwargs_code(params)}, data_format='HWC')"

from ...compiler.params import Int, Numbers, size_pair
from ...compiler.registry import literal, register
from .base import TransformNode, fits

SIZE = Numbers([24, 24], "output size: [height, width], or one number for a square",
               min_length=2, max_length=2, min=1, max=4096, integer=True, scalar_ok=True)


@register
class CenterCrop(TransformNode):
    """Cut the central `size` region out of the image."""

    params = {"size": SIZE}

    def transform_shape(self, params, shape):
        size = size_pair(params["size"])
        fits(size, shape, "CenterCrop.size")
        return [shape[0], *size]

    def eval_steps(self, params):
        return [{"op": "center_crop", "size": list(size_pair(params["size"]))}]


@register
class RandomCrop(TransformNode):
    """Cut a random `size` region (after optional zero padding) while training (augmentation)."""

    random = True
    params = {"size": SIZE, "padding": Int(0, "pixels of padding added on every side first", min=0, max=256)}

    def transform_shape(self, params, shape):
        size = size_pair(params["size"])
        pad = 2 * params["padding"]
        fits(size, [shape[0], shape[1] + pad, shape[2] + pad], "RandomCrop.size")
        return [shape[0], *size]

    def eval_code(self, params, ctx):
        size = literal(list(size_pair(params["size"])))
        pad = f"T.Pad({params['padding']}), " if params["padding"] else ""
        return f"{pad}T.CenterCrop({size})"

    def eval_steps(self, params):
        pad = [{"op": "pad", "padding": params["padding"], "fill": 0}] if params["padding"] else []
        return pad + [{"op": "center_crop", "size": list(size_pair(params["size"]))}]


@register
class RandomResizedCrop(TransformNode):
    """Cut a random region of random area and aspect, then resize it to `size` (augmentation)."""

    random = True
    params = {
        "size": SIZE,
        "scale": Numbers([0.08, 1.0], "range of the region's area, as a share of the image",
                         min_length=2, max_length=2, min=0.01, max=1.0),
        "ratio": Numbers([0.75, 1.3333], "range of the region's aspect ratio (width / height)",
                         min_length=2, max_length=2, min=0.1, max=10.0),
    }

    def check(self, params):
        return [(key, "out_of_range", f"RandomResizedCrop.{key} must be [min, max], got {params[key]}")
                for key in ("scale", "ratio") if params[key][0] > params[key][1]]

    def transform_shape(self, params, shape):
        return [shape[0], *size_pair(params["size"])]

    def eval_code(self, params, ctx):
        return f"T.Resize({literal(list(size_pair(params['size'])))})"

    def eval_steps(self, params):
        return [{"op": "resize", "size": list(size_pair(params["size"])), "interpolation": "bilinear"}]

"""What every transform node shares.

Transforms run on a PIL image first ("image" stage: resizing, cropping, colour, geometry), then on a
float32 HWC array in [0, 1] ("array" stage: Normalize, Lambda). The compiler inserts the conversion
between the stages, so an image-stage transform cannot follow an array-stage one."""
from __future__ import annotations

from ...compiler.registry import Context, NodeType, ShapeError, kwargs_code


class TransformNode(NodeType):
    category = "transform"
    stage = "image"
    random = False  # Random* transforms run only while training

    def train_only(self, params) -> bool:
        return self.random

    def infer_shape(self, params, in_shape, ctx: Context):
        array_node = ctx.extra.get("array_stage_node")
        if self.stage == "image" and array_node:
            raise ShapeError(f"{self.name} works on images, so it must come before '{array_node}' "
                             "(Normalize and Lambda work on arrays); move it up the chain")
        if self.stage == "array" and not array_node:
            ctx.extra["array_stage_node"] = ctx.extra.get("current_node", self.name)
        return self.transform_shape(params, list(in_shape))

    def transform_shape(self, params, shape: list[int]) -> list[int]:
        return shape

    def code(self, params, ctx):
        return f"T.{self.name}({kwargs_code(params)})"

    def eval_steps(self, params) -> list[dict]:
        """The evaluation-time preprocessing as data (preprocess.json of an export, read by its predict.py):
        a train-only transform is dropped unless its `eval_code` keeps the size, which it mirrors."""
        if self.train_only(params):
            return []
        raise NotImplementedError(f"{self.name} does not describe its evaluation step as data")

    def eval_code(self, params, ctx) -> str | None:
        """What a train-only transform becomes at evaluation: nothing, unless it changes the size, in which
        case its deterministic counterpart keeps the shape the model was trained on."""
        return None


def fits(size: tuple[int, int], shape: list[int], what: str, field: str = "size") -> None:
    """Raise ShapeError unless a (height, width) crop fits in a [C, H, W] image."""
    if size[0] > shape[1] or size[1] > shape[2]:
        raise ShapeError(f"{what} {size[0]}x{size[1]} is larger than its {shape[1]}x{shape[2]} input; "
                         "resize first or choose a smaller size", field)

"""What every layer node shares: layers see a [C, H, W] image or a flat [features] vector, and
infer their input size from the shape that reaches them, so a student never computes one."""
from __future__ import annotations

from ...compiler.registry import NodeType, ShapeError


class LayerNode(NodeType):
    category = "layer"
    needs_image = False  # True for 2-D layers (convolutions, pooling, batch norm)

    def infer_shape(self, params, in_shape, ctx):
        if self.needs_image and len(in_shape) != 3:
            raise ShapeError(f"needs an image-shaped input [channels, height, width], got {in_shape}; "
                             "put it before Flatten")
        return self.layer_shape(params, list(in_shape))

    def layer_shape(self, params, shape):
        return shape

    def code(self, params, ctx):
        return f"nn.{self.name}()"



def window_output(size: int, kernel: int, stride: int, padding: int, field: str, what: str) -> int:
    """Output length of a sliding window (convolution or pooling), or ShapeError when it would be empty."""
    out = (size + 2 * padding - kernel) // stride + 1
    if out < 1:
        raise ShapeError(f"{what} {kernel} is larger than its input size {size}"
                         f"{' plus padding' if padding else ''}; make it smaller or remove a pooling layer", field)
    return out

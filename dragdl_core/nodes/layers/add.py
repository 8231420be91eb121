from ...compiler.registry import ShapeError, register
from .base import LayerNode


def describe_inputs(inputs) -> str:
    """`bn2 [16, 8, 8] (input 0), pool1 [8, 8, 8] (input 1)`: what a merge error names."""
    return ", ".join(f"{source} {shape} (input {k})" for k, (source, shape) in enumerate(inputs))


@register
class Add(LayerNode):
    """Element-wise sum of two or more inputs of the same shape: the join of a residual connection."""

    merge = True
    params = {}

    def merge_shape(self, params, inputs, ctx):
        shapes = [shape for _, shape in inputs]
        if any(shape != shapes[0] for shape in shapes):
            raise ShapeError(f"all inputs must have the same shape to be added, got {describe_inputs(inputs)}; "
                             "change a branch (e.g. Conv2D.out_channels or a pooling layer) so they match")
        return list(shapes[0])

    def merge_code(self, params, names):
        return " + ".join(names)

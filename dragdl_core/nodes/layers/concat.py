from ...compiler.registry import ShapeError, register
from .add import describe_inputs
from .base import LayerNode


@register
class Concat(LayerNode):
    """Join two or more inputs along channels (in input order): the join of a multi-branch module."""

    merge = True
    params = {}

    def merge_shape(self, params, inputs, ctx):
        shapes = [shape for _, shape in inputs]
        if any(len(shape) != 3 for shape in shapes):
            raise ShapeError(f"joins images [channels, height, width] along channels, got "
                             f"{describe_inputs(inputs)}; put it before Flatten")
        if any(shape[1:] != shapes[0][1:] for shape in shapes):
            raise ShapeError(f"every input needs the same height and width, got "
                             f"{describe_inputs(inputs)}; change a branch's stride, padding or pooling so they match")
        return [sum(shape[0] for shape in shapes), *shapes[0][1:]]

    def merge_code(self, params, names):
        return f"paddle.concat([{', '.join(names)}], axis=1)"

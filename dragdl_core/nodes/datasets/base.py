"""What every dataset node shares: the split parameters and the hooks shape inference needs."""
from __future__ import annotations

from ...compiler.params import Float, Int
from ...compiler.registry import Context, NodeType, kwargs_code

SPLIT_PARAMS = {
    "val_ratio": Float(0.1, "share of images held out for validation after each epoch", min=0.0, max=0.5),
    "test_ratio": Float(0.2, "share of images held out for the final test report", min=0.05, max=0.5),
    "seed": Int(0, "seed for the stratified split (and for generated data)", min=0, max=2**31 - 1),
    "limit_per_class": Int(None, "use at most this many images of each class (none = all)", min=2,
                           max=1_000_000, optional=True),
}


def split_sizes(count: int, val_ratio: float, test_ratio: float) -> tuple[int, int, int]:
    """(train, val, test) images of one class of `count`: the stratified split's arithmetic, shared by the
    runtime and the Datasets page's preview."""
    if count <= 2:
        return count, 0, 0
    n_test = max(1, int(round(count * test_ratio)))
    n_val = int(round(count * val_ratio))
    return count - n_test - n_val, n_val, n_test


class DatasetNode(NodeType):
    category = "dataset"
    loader = ""  # name of the loading function in dragdl_core.runtime.datasets

    def image_shape(self, params) -> list[int]:
        """[channels, height, width] of the images this source delivers; ShapeError if unavailable."""
        raise NotImplementedError

    def num_classes(self, params) -> int:
        raise NotImplementedError

    def check(self, params):
        if params["val_ratio"] + params["test_ratio"] > 0.8:
            return [("test_ratio", "out_of_range",
                     f"{self.name}: val_ratio + test_ratio must leave at least 20% for training, "
                     f"got {params['val_ratio'] + params['test_ratio']:.2f}")]
        return []

    def code(self, params, ctx: Context) -> str:
        return f"datasets.{self.loader}({kwargs_code(params)})"

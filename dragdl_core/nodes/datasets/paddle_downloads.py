"""PaddlePaddle's downloadable datasets, fetched once into Paddle's own cache.

Each is data: the cache folder and files Paddle's downloader uses, the image shape and class count.
Validation only looks at the cache, so an offline machine gets a clear error instead of a hung download."""
from ... import config
from ...compiler.registry import ShapeError, kwargs_code, register
from .base import SPLIT_PARAMS, DatasetNode

MNIST_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
               "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


class PaddleDownload(DatasetNode):
    loader = "paddle_download"
    cache_folder = ""
    files: tuple = ()
    shape: list = []
    classes = 0
    params = dict(SPLIT_PARAMS)

    needs_download = True  # the palette and templates mark it

    def missing_files(self) -> list[str]:
        folder = config.paddle_cache_dir() / self.cache_folder
        return [f for f in self.files if not (folder / f).is_file()]

    def image_shape(self, params):
        if self.missing_files():
            raise ShapeError(f"{self.name} is not downloaded yet on this server: ask your instructor to download "
                             "it once, or use Digits or Shapes, which need no download",
                             detail=f"{config.paddle_cache_dir() / self.cache_folder} lacks "
                                    f"{self.missing_files()[0]}; run `python -m dragdl_core datasets fetch "
                                    f"{self.name}` on the server while it is online")
        return list(self.shape)

    def num_classes(self, params):
        return self.classes

    def code(self, params, ctx):
        return f"datasets.paddle_download({self.name!r}, {kwargs_code(params)})"


@register
class MNIST(PaddleDownload):
    """MNIST handwritten digits, 28x28 grayscale, 10 classes (downloaded once by PaddlePaddle)."""
    cache_folder, files, shape, classes = "mnist", MNIST_FILES, [1, 28, 28], 10


@register
class FashionMNIST(PaddleDownload):
    """Fashion-MNIST clothing images, 28x28 grayscale, 10 classes (downloaded once by PaddlePaddle)."""
    cache_folder, files, shape, classes = "fashion-mnist", MNIST_FILES, [1, 28, 28], 10


@register
class Cifar10(PaddleDownload):
    """CIFAR-10 photos, 32x32 colour, 10 classes (downloaded once by PaddlePaddle)."""
    cache_folder, files, shape, classes = "cifar", ("cifar-10-python.tar.gz",), [3, 32, 32], 10


@register
class Flowers102(PaddleDownload):
    """Oxford flowers, 102 classes, resized to 64x64 colour on loading (downloaded once by PaddlePaddle)."""
    cache_folder, files, shape, classes = ("flowers", ("102flowers.tgz", "imagelabels.mat", "setid.mat"),
                                           [3, 64, 64], 102)

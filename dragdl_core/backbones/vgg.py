"""VGG (Simonyan & Zisserman, 2014): plain stacks of 3x3 convolutions, each stage ending in 2x2 max pooling;
cut to `features` (the 4096-wide classifier, most of VGG's weights, is dropped)."""
from .arch import POOL2, Arch, stage

CUT = {"num_classes": 0, "with_pool": False}


def _vgg(name: str, convs_per_stage: list[int], counts: list[tuple[int, int]], description: str,
         md5: str | None = None) -> Arch:
    """Each conv is followed by a ReLU; each stage ends with a pool: 2 * convs + 1 sublayers of `features`."""
    blocks, first = [], 0
    for i, (convs, channels) in enumerate(zip(convs_per_stage, (64, 128, 256, 512, 512))):
        last = first + 2 * convs
        blocks.append(stage(f"stage{i + 1}", "features", first, last, channels, (POOL2,), *counts[i]))
        first = last + 1
    url = f"https://paddle-hapi.bj.bcebos.com/models/{name}.pdparams" if md5 else None
    return Arch(name, "vgg", description, name, tuple(blocks), CUT, imagenet_url=url, imagenet_md5=md5)


ARCHS = (
    _vgg("vgg11", [1, 1, 2, 2, 2], [(1792, 0), (73856, 0), (885248, 0), (3539968, 0), (4719616, 0)],
         "VGG-11: 8 plain conv layers, easy to read; PaddlePaddle publishes no ImageNet weights for it"),
    _vgg("vgg16", [2, 2, 3, 3, 3], [(38720, 0), (221440, 0), (1475328, 0), (5899776, 0), (7079424, 0)],
         "VGG-16: 13 plain conv layers, heavy on compute (512 features)", "89bbffc0f87d260be9b8cdc169c991c4"),
)

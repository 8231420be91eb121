"""ResNet (He et al., 2015): a stem, then four stages of residual blocks; cut before the pool and `fc`."""
from .arch import CONV7_S2, HALVE, Arch, Block

CUT = {"num_classes": 0, "with_pool": False}
URL = "https://paddle-hapi.bj.bcebos.com/models/{}.pdparams"


def _resnet(name: str, width: int, counts: list[tuple[int, int]], md5: str, description: str) -> Arch:
    """counts: (parameters, statistics) of the stem and the four stages, checked against Paddle by the tests."""
    channels = [64, width, width * 2, width * 4, width * 8]
    blocks = [Block("stem", ("conv1", "bn1", "relu", "maxpool"), 64, (CONV7_S2, HALVE), *counts[0])]
    for i in range(1, 5):
        blocks.append(Block(f"layer{i}", (f"layer{i}",), channels[i], (HALVE,) if i > 1 else (), *counts[i]))
    return Arch(name, "resnet", description, name, tuple(blocks), CUT, imagenet_url=URL.format(name),
                imagenet_md5=md5)


ARCHS = (
    _resnet("resnet18", 64, [(9536, 128), (147968, 512), (525568, 1280), (2099712, 2560), (8393728, 5120)],
            "cf548f46534aa3560945be4b95cd11c4",
            "ResNet-18: 18 layers with shortcut connections; a solid, fast first choice (512 features)"),
    _resnet("resnet34", 64, [(9536, 128), (221952, 768), (1116416, 2304), (6822400, 6656), (13114368, 7168)],
            "8d2275cf8706028345f78ac0e1d31969",
            "ResNet-34: deeper ResNet-18, same 512 features, about twice the compute"),
    _resnet("resnet50", 256, [(9536, 128), (215808, 2816), (1219584, 7168), (7098368, 20480),
                              (14964736, 22528)],
            "ca6f485ee1ab0492d38f323885b0ad80",
            "ResNet-50: bottleneck blocks, 2048 features; the classic strong backbone"),
)

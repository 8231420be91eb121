"""ShuffleNet v2 (Ma et al., 2018): channel split and shuffle for very cheap convolutions; `scale` sets the
width (x0_25 is tiny, x1_0 the standard one). Sublayers are named stage_repeat by Paddle, e.g. 3_2."""
from .arch import HALVE, Arch, Block

CUT = {"num_classes": 0, "with_pool": False}
REPEATS = (4, 8, 4)


def _shufflenet(name: str, widths: tuple[int, ...], counts: list[tuple[int, int]], md5: str,
                description: str) -> Arch:
    blocks = [Block("stem", ("_conv1", "_max_pool"), 24, (HALVE, HALVE), *counts[0])]
    for i, repeat in enumerate(REPEATS):
        layers = tuple(f"{i + 2}_{j + 1}" for j in range(repeat))
        blocks.append(Block(f"stage{i + 2}", layers, widths[i], (HALVE,), *counts[i + 1]))
    blocks.append(Block("last_conv", ("_last_conv",), widths[-1], (), *counts[-1]))
    return Arch(name, "shufflenet", description, name, tuple(blocks), CUT,
                imagenet_url=f"https://paddle-hapi.bj.bcebos.com/models/{name}.pdparams", imagenet_md5=md5)


ARCHS = (
    _shufflenet("shufflenet_v2_x0_25", (24, 48, 96, 512),
                [(696, 48), (2592, 360), (12984, 1248), (24240, 1344), (50176, 1024)],
                "1e509b4c140eeb096bb16e214796d03b",
                "ShuffleNetV2 x0.25: tiny (under 0.1M weights), trains in seconds (512 features)"),
    _shufflenet("shufflenet_v2_x1_0", (116, 232, 464, 1024),
                [(696, 48), (30192, 1556), (244180, 6032), (501352, 6496), (477184, 2048)],
                "122d42478b9e81eb49f8a9ede327b1a4",
                "ShuffleNetV2 x1.0: fast and accurate for its size (1024 features)"),
)

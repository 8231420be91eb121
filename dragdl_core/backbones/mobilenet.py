"""MobileNet v2 and v3 (Sandler et al., 2018; Howard et al., 2019): depthwise-separable inverted residual
blocks built for phones - small and fast. Blocks here are the stages between downsamplings."""
from .arch import HALVE, HALVE5, Arch, Block, stage

CUT = {"num_classes": 0, "with_pool": False}
URL = "https://paddle-hapi.bj.bcebos.com/models/{}.pdparams"

MOBILENET_V2 = Arch(
    "mobilenet_v2", "mobilenet", "MobileNetV2: light and fast inverted residuals (1280 features)", "mobilenet_v2",
    (
        stage("stem", "features", 0, 0, 32, (HALVE,), 928, 64),
        stage("stage1", "features", 1, 1, 16, (), 896, 96),
        stage("stage2", "features", 2, 3, 24, (HALVE,), 13968, 1056),
        stage("stage3", "features", 4, 6, 32, (HALVE,), 39696, 2304),
        stage("stage4", "features", 7, 10, 64, (HALVE,), 183872, 5888),
        stage("stage5", "features", 11, 13, 96, (), 303168, 6720),
        stage("stage6", "features", 14, 16, 160, (HALVE,), 795264, 10944),
        stage("stage7", "features", 17, 17, 320, (), 473920, 4480),
        stage("last_conv", "features", 18, 18, 1280, (), 412160, 2560),
    ),
    CUT, imagenet_url=URL.format("mobilenet_v2_x1.0"), imagenet_md5="0340af0a901346c8d46f4529882fb63d")

MOBILENET_V3_SMALL = Arch(
    "mobilenet_v3_small", "mobilenet", "MobileNetV3 small: the lightest here, for quick experiments "
    "(576 features)", "mobilenet_v3_small",
    (
        Block("stem", ("conv",), 16, (HALVE,), 464, 32),
        stage("stage1", "blocks", 0, 0, 16, (HALVE,), 744, 64),
        stage("stage2", "blocks", 1, 2, 24, (HALVE,), 9280, 736),
        stage("stage3", "blocks", 3, 7, 48, (HALVE5,), 180032, 3792),
        stage("stage4", "blocks", 8, 10, 96, (HALVE5,), 680040, 6336),
        Block("last_conv", ("lastconv",), 576, (), 56448, 1152),
    ),
    CUT, imagenet_url=URL.format("mobilenet_v3_small_x1.0"), imagenet_md5="34fe0e7c1f8b00b2b056ad6788d0590c")

MOBILENET_V3_LARGE = Arch(
    "mobilenet_v3_large", "mobilenet", "MobileNetV3 large: accurate for its size (960 features)",
    "mobilenet_v3_large",
    (
        Block("stem", ("conv",), 16, (HALVE,), 464, 32),
        stage("stage1", "blocks", 0, 0, 16, (), 464, 64),
        stage("stage2", "blocks", 1, 2, 24, (HALVE,), 7880, 640),
        stage("stage3", "blocks", 3, 5, 40, (HALVE5,), 52312, 1488),
        stage("stage4", "blocks", 6, 9, 80, (HALVE,), 130824, 3872),
        stage("stage5", "blocks", 10, 11, 112, (), 600544, 5056),
        stage("stage6", "blocks", 12, 14, 160, (HALVE5,), 2023944, 11328),
        Block("last_conv", ("lastconv",), 960, (), 155520, 1920),
    ),
    CUT, imagenet_url=URL.format("mobilenet_v3_large_x1.0"), imagenet_md5="118db5792b4e183b925d8e8e334db3df")

ARCHS = (MOBILENET_V2, MOBILENET_V3_SMALL, MOBILENET_V3_LARGE)

"""DenseNet-121 (Huang et al., 2017): every layer of a dense block sees all earlier ones; transition layers
halve the size between blocks. Each block here is a dense block with the transition after it."""
from .arch import CONV7_S2, HALVE, POOL2, Arch, Block

URL = "https://paddle-imagenet-models-name.bj.bcebos.com/dygraph/DenseNet121_pretrained.pdparams"

ARCHS = (
    Arch("densenet121", "densenet", "DenseNet-121: densely connected, few weights for its depth "
         "(1024 features)", "densenet121",
         (
             Block("stem", ("conv1_func", "pool2d_max"), 64, (CONV7_S2, HALVE), 9536, 128),
             Block("dense1", ("db_conv_2", "tr_conv2_blk"), 128, (POOL2,), 368320, 3776),
             Block("dense2", ("db_conv_3", "tr_conv3_blk"), 256, (POOL2,), 1051776, 11392),
             Block("dense3", ("db_conv_4", "tr_conv4_blk"), 512, (POOL2,), 3364096, 38144),
             Block("dense4", ("db_conv_5", "batch_norm"), 1024, (), 2160128, 30208),
         ),
         {"num_classes": 0, "with_pool": False},
         imagenet_url=URL, imagenet_md5="db1b239ed80a905290fd8b01d3af08e4"),
)

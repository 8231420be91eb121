"""SqueezeNet 1.1 (Iandola et al., 2016): "fire" modules squeeze channels with 1x1 convolutions; AlexNet-level
accuracy in 1.2M weights. Paddle's forward reuses one pooling layer and calls relu as a function, so the
steps spell that out; the classifier (_drop, _conv9, _avg_pool) is cut."""
from .arch import POOL3, RELU, Arch, Block, Window

URL = "https://paddle-imagenet-models-name.bj.bcebos.com/dygraph/SqueezeNet1_1_pretrained.pdparams"

ARCHS = (
    Arch("squeezenet1_1", "squeezenet", "SqueezeNet 1.1: small and fast fire modules (512 features)",
         "squeezenet1_1",
         (
             Block("stem", ("_conv", RELU, "_pool"), 64, (Window(3, 2, 1), POOL3), 1792, 0),
             Block("fire2-3", ("_conv1", "_conv2"), 128, (), 23840, 0),
             Block("fire4-5", ("_pool", "_conv3", "_conv4"), 256, (POOL3,), 94784, 0),
             Block("fire6-9", ("_pool", "_conv5", "_conv6", "_conv7", "_conv8"), 512, (POOL3,), 602080, 0),
         ),
         {"with_pool": False},
         imagenet_url=URL, imagenet_md5="a11250d3a1f91d7131fd095ebbf09eee"),
)

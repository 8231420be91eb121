"""An example custom model family for `python -m dragdl_core models register examples/custom_model.py
--name tinynet`: a small VGG-style network. DragDL keeps `features` (each item of the Sequential is a block
for partial freezing) and cuts the rest; the Backbone node then adds global average pooling."""
from paddle import nn

MEAN = [0.5, 0.5, 0.5]  # optional: the normalisation the network expects (default: ImageNet's)
STD = [0.5, 0.5, 0.5]


def conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2D(in_channels, out_channels, 3, padding=1), nn.BatchNorm2D(out_channels),
                         nn.ReLU(), nn.MaxPool2D(2))


class TinyNet(nn.Layer):
    """TinyNet: three conv blocks, 64 features; a quick custom backbone."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(conv_block(3, 16), conv_block(16, 32), conv_block(32, 64))
        self.classifier = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.features(x).mean(axis=[2, 3])
        return self.classifier(x)

from ...compiler.params import Choice, Float, Int
from ...compiler.registry import NodeType, ShapeError, register

# What each choice compiles to in the generated script's make_optimizer(model) (`lr` is the schedule).
OPTIMIZERS = {
    "sgd": "paddle.optimizer.SGD(learning_rate=lr, parameters=model.parameters(), weight_decay={wd})",
    "momentum": "paddle.optimizer.Momentum(learning_rate=lr, momentum=0.9, parameters=model.parameters(), "
                "weight_decay={wd})",
    "adam": "paddle.optimizer.Adam(learning_rate=lr, parameters=model.parameters(), weight_decay={wd})",
    "adamw": "paddle.optimizer.AdamW(learning_rate=lr, parameters=model.parameters(), weight_decay={wd})",
}
SCHEDULES = {
    "constant": "{lr}",
    "cosine": "paddle.optimizer.lr.CosineAnnealingDecay(learning_rate={lr}, T_max=EPOCHS)",
    "step": "paddle.optimizer.lr.StepDecay(learning_rate={lr}, step_size=max(1, EPOCHS // 3), gamma=0.1)",
}


@register
class Trainer(NodeType):
    """Train the model on the dataset with cross-entropy loss, then test it and export it."""

    category = "trainer"
    params = {
        "optimizer": Choice("adam", "how weights are updated from gradients",
                            choices=tuple(OPTIMIZERS)),
        "learning_rate": Float(0.001, "step size of each update", min=1e-7, max=10.0),
        "epochs": Int(5, "passes over the training images", min=1, max=1000),
        "batch_size": Int(64, "images per training step", min=1, max=4096),
        "weight_decay": Float(0.0, "L2 penalty on the weights, against overfitting", min=0.0, max=1.0),
        "lr_schedule": Choice("constant", "how the learning rate changes over epochs: constant, cosine "
                              "(smoothly to zero) or step (x0.1 every third of the epochs)",
                              choices=tuple(SCHEDULES)),
        "early_stopping_patience": Int(0, "stop after this many epochs without a better validation "
                                       "accuracy (0 = off)", min=0, max=1000),
        "seed": Int(0, "seed for weights, shuffling and augmentation: same seed, same run", min=0,
                    max=2**31 - 1),
        "device": Choice("auto", "where to train: auto picks a GPU when there is one",
                         choices=("auto", "cpu", "gpu")),
    }

    def optimizer_code(self, params) -> str:
        return OPTIMIZERS[params["optimizer"]].format(wd=params["weight_decay"])

    def schedule_code(self, params) -> str:
        return SCHEDULES[params["lr_schedule"]].format(lr=params["learning_rate"])

    def infer_shape(self, params, in_shape, ctx):
        if in_shape != [ctx.num_classes]:
            raise ShapeError(f"expects one score per class [{ctx.num_classes}], got {in_shape}")
        return in_shape

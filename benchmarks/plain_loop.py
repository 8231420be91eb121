"""A hand-written Paddle training loop: the baseline `overhead.py` compares generated scripts against.

Same data (Digits, same split), same preprocessing (resize, scale, normalize, prepared once), same model,
optimizer and batch size as examples/digits-cnn.json; no DragDL code in the loop. Prints one JSON line:
the training images per second of each epoch."""
import json
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count()))
import numpy as np  # noqa: E402
import paddle  # noqa: E402
from paddle import nn  # noqa: E402
from PIL import Image  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from dragdl_core.runtime.datasets import digits  # noqa: E402  (only for the identical split)

EPOCHS, BATCH, SIZE = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
paddle.seed(0)
data = digits(val_ratio=0.1, test_ratio=0.2, seed=0)
images = np.stack([np.asarray(Image.fromarray(img[:, :, 0]).resize((SIZE, SIZE), Image.BILINEAR), np.float32)
                   for img in data.train.images])[:, None] / 255.0
images = (images - 0.5) / 0.5
labels = data.train.labels

model = nn.Sequential(
    nn.Conv2D(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2D(2),
    nn.Conv2D(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2D(2),
    nn.Flatten(), nn.Linear(32 * (SIZE // 4) ** 2, 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 10))
optimizer = paddle.optimizer.Adam(learning_rate=0.002, parameters=model.parameters())
loss_fn = nn.CrossEntropyLoss()
rates = []
for epoch in range(EPOCHS):
    order = np.random.RandomState(epoch).permutation(len(labels))
    model.train()
    started = time.perf_counter()
    for i in range(0, len(labels), BATCH):
        idx = order[i:i + BATCH]
        logits = model(paddle.to_tensor(images[idx]))
        loss = loss_fn(logits, paddle.to_tensor(labels[idx]))
        loss.backward()
        optimizer.step()
        optimizer.clear_grad()
        float(loss)  # a plain loop prints or records its loss too
    rates.append(len(labels) / (time.perf_counter() - started))
print(json.dumps({"images_per_sec": rates}))

"""Prediction from a finished run: the exported model, its class names and the exact evaluation
preprocessing of the run's own train.py (imported, not re-typed), so a prediction sees what evaluation saw.

The model runs on the runtime's inference path (runtime/inference.py): a oneDNN `paddle.inference`
predictor created once per process and shared by every Predictor of the same run (a bounded cache), so a
warm prediction costs the model's few milliseconds, not a load."""
from __future__ import annotations

import io
import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

warnings.filterwarnings("ignore", message="No ccache found")

from .eager import ensure_eager  # noqa: E402
from .inference import saved_model  # noqa: E402
from .modules import import_file  # noqa: E402

MAX_PIXELS = 50_000_000


class PredictError(ValueError):
    """A run that cannot predict, or an image that cannot be read; one clear message."""


@dataclass
class Prediction:
    source: str
    probabilities: dict[str, float]  # class -> probability, most likely first
    model_input: np.ndarray          # (C, H, W) float32, as the model saw it

    @property
    def top(self) -> str:
        return next(iter(self.probabilities))


class Predictor:
    """Load once, predict many: `Predictor(run_dir).predict(image_or_path)`; usable from any thread."""

    def __init__(self, run_dir):
        ensure_eager()
        self.dir = Path(run_dir)
        meta_path = self.dir / "model" / "meta.json"
        if not meta_path.exists():
            raise PredictError(f"{self.dir} has no exported model yet (model/meta.json); "
                               "prediction needs a run that finished training")
        self.meta = json.loads(meta_path.read_text())
        self.classes = self.meta["classes"]
        self.eval_transform = import_file(self.dir / "train.py", "dragdl_run_").eval_transform
        self.model = saved_model(self.dir / "model" / "inference", what=f"run {self.dir.name}",
                                 warm_shape=self.meta.get("input_shape"))

    def prepare(self, image: Image.Image) -> np.ndarray:
        """Bring any image to the dataset's colour mode and size, then apply the evaluation transform."""
        channels, height, width = self.meta["image_shape"]
        image = image.convert("L" if channels == 1 else "RGB")
        if image.size != (width, height):
            image = image.resize((width, height), Image.BILINEAR)
        return np.asarray(self.eval_transform(image), dtype=np.float32)

    def predict(self, source, name: str | None = None) -> Prediction:
        image = open_image(source, name)
        x = self.prepare(image)
        probs = softmax(self.model.run(x[None])[0])
        order = np.argsort(-probs)
        return Prediction(name or str(source), {self.classes[i]: float(probs[i]) for i in order}, x)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits.astype(np.float64) - logits.max())
    return (shifted / shifted.sum()).astype(np.float32)


def open_image(source, name: str | None = None) -> Image.Image:
    """A PIL image from a path, bytes or file object; PredictError naming the file when it is not an image."""
    label = name or (str(source) if isinstance(source, (str, Path)) else "upload")
    try:
        if isinstance(source, bytes):
            source = io.BytesIO(source)
        image = Image.open(source)
        if image.width * image.height > MAX_PIXELS:
            raise PredictError(f"{label}: {image.width}x{image.height} is too large (limit {MAX_PIXELS:,} pixels)")
        image.load()
        return image
    except FileNotFoundError:
        raise PredictError(f"{label}: no such file") from None
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as err:
        raise PredictError(f"{label}: not an image PIL can read ({type(err).__name__})") from None

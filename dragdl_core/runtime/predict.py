"""Prediction from a finished run: the exported model, its class names and the exact evaluation
preprocessing of the run's own train.py (imported, not re-typed), so a prediction sees what evaluation saw.

The model runs on the runtime's inference path (runtime/inference.py): a oneDNN `paddle.inference`
predictor created once per process and shared by every Predictor of the same run (a bounded cache), so a
warm prediction costs the model's few milliseconds, not a load."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .. import rundir
from ..imaging import ImageReadError, make_visible, read_image
from .eager import ensure_eager
from .inference import saved_model
from .modules import import_file

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
        meta_path = rundir.model_path(self.dir)
        if not meta_path.exists():
            raise PredictError(f"{self.dir} has no exported model yet (model/meta.json); "
                               "prediction needs a run that finished training")
        if not rundir.model_path(self.dir, rundir.MODEL_PARAMS).exists():
            raise PredictError(f"{self.dir} has model/meta.json but no model/inference.pdiparams (the trained "
                               "weights); copy the whole model/ folder of the run")
        self.meta = json.loads(meta_path.read_text())
        self.classes = self.meta["classes"]
        self.eval_transform = import_file(script_of(self.dir), "dragdl_run_").eval_transform
        self.model = saved_model(rundir.model_path(self.dir, rundir.MODEL_PREFIX), what=f"run {self.dir.name}",
                                 warm_shape=self.meta.get("input_shape"))

    def prepare(self, image: Image.Image) -> np.ndarray:
        """Bring any image to the dataset's colour mode and size, then apply the evaluation transform."""
        channels, height, width = self.meta["image_shape"]
        image = make_visible(image, "L" if channels == 1 else "RGB")
        if image.size != (width, height):
            image = image.resize((width, height), Image.BILINEAR)
        return np.asarray(self.eval_transform(image), dtype=np.float32)

    def predict(self, source, name: str | None = None) -> Prediction:
        image = open_image(source, name)
        x = self.prepare(image)
        probs = softmax(self.model.run(x[None])[0])
        order = np.argsort(-probs)
        return Prediction(name or str(source), {self.classes[i]: float(probs[i]) for i in order}, x)


def script_of(run_dir: Path) -> Path:
    """The script whose `eval_transform` prepares images: the copy the run exported into model/ (present
    whoever ran it), else the run directory's train.py; PredictError naming what is missing."""
    for path in (rundir.model_path(run_dir, rundir.SCRIPT), run_dir / rundir.SCRIPT):
        if path.is_file():
            return path
    raise PredictError(f"{run_dir} has neither model/train.py nor train.py: prediction needs the script that "
                       "trained the model (its eval_transform); copy it into the run directory as train.py")


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits.astype(np.float64) - logits.max())
    return (shifted / shifted.sum()).astype(np.float32)


def open_image(source, name: str | None = None) -> Image.Image:
    """A path, bytes or file object read as a person sees it (`imaging.read_image`: upright, 8-bit,
    transparency on white, the five allowed formats only); PredictError naming the file otherwise."""
    label = name or (str(source) if isinstance(source, (str, Path)) else "upload")
    try:
        return read_image(source, max_pixels=MAX_PIXELS, label=label)
    except ImageReadError as err:
        raise PredictError(str(err)) from None

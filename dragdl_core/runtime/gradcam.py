"""Grad-CAM: where a trained conv model looked when it chose a class (Selvaraju et al., 2017).

The class score's gradient with respect to the last convolution's feature maps, averaged over each map, weighs
the maps; their weighted sum, negatives cut, is the heat map (the feature maps' size, scaled up to the image).

Prediction runs on `paddle.inference` (runtime/inference.py), which has no gradients, so Grad-CAM rebuilds the
eager model from the run's own script (`build_model` of model/train.py) and loads the checkpoint whose output
equals the exported model's (the last epoch's weights, or the best ones when training restored them): the
heat map explains the very model that predicts. `explain(run_dir, image, class_name)` is the one entry point
for the page, the command line and the REST API (the sandboxed prediction path can call it as it stands)."""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .. import rundir
from .eager import ensure_eager
from .modules import import_file
from .paddle_quiet import nn, paddle
from .predict import PredictError, Predictor, open_image, script_of, softmax

MATCH_TOLERANCE = 1e-3  # relative difference in logits between the rebuilt model and the exported one
OVERLAY_ALPHA = 0.5
MAX_OVERLAY_SIDE = 512  # the overlay is drawn at the image's size, at most this many pixels a side


class ExplainError(PredictError):
    """A run Grad-CAM cannot explain (no convolution, no checkpoint); one clear message."""


@dataclass
class Explanation:
    source: str
    class_name: str                 # the class explained
    predicted: str                  # the class the model chose
    probabilities: dict[str, float]  # class -> probability, most likely first
    heatmap: np.ndarray             # (h, w) float32 in 0..1, the model input's size
    overlay: Image.Image            # the heat map over the image

    def save(self, path) -> None:
        self.overlay.save(path, format="PNG")


def convolutions(model: nn.Layer) -> list[nn.Layer]:
    return [layer for layer in model.sublayers() if isinstance(layer, nn.Conv2D)]


class Explainer:
    """The eager model of a finished run with the exported weights; `explain(image, class_name)`."""

    def __init__(self, run_dir):
        ensure_eager()
        self.predictor = Predictor(run_dir)
        self.dir = self.predictor.dir
        self.classes = self.predictor.classes
        script = import_file(script_of(self.dir), "dragdl_run_")
        if not hasattr(script, "build_model"):
            raise ExplainError(f"{script_of(self.dir)} has no build_model(); Grad-CAM needs a script DragDL "
                               "generated")
        self.model = script.build_model(len(self.classes))
        self.convs = convolutions(self.model)
        if not self.convs:
            raise ExplainError("this model has no convolution layer (Conv2D or a Backbone): Grad-CAM shows where "
                               "a conv model looked, so it cannot explain this one; add a Conv2D or a Backbone")
        self.model.eval()
        self._load_matching_weights()
        self._lock = threading.Lock()

    def _load_matching_weights(self) -> None:
        """Load the checkpoint that reproduces the exported model (best or last epoch)."""
        channels, height, width = self.predictor.meta["input_shape"]
        probe = np.random.RandomState(0).uniform(-1, 1, (1, channels, height, width)).astype(np.float32)
        expected = self.predictor.model.run(probe)[0]
        tried = []
        for name in (rundir.CHECKPOINT_BEST, rundir.CHECKPOINT_MODEL):
            path = rundir.checkpoint(self.dir, name)
            if not path.is_file():
                continue
            tried.append(name)
            self.model.set_state_dict(paddle.load(str(path)))
            with paddle.no_grad():
                got = self.model(paddle.to_tensor(probe)).numpy()[0]
            if np.abs(got - expected).max() <= MATCH_TOLERANCE * max(1.0, float(np.abs(expected).max())):
                return
        if not tried:
            raise ExplainError(f"{self.dir} has no checkpoints/ (the trained weights in eager form); Grad-CAM "
                               "needs the run's checkpoints folder as well as model/")
        raise ExplainError(f"{self.dir}: no checkpoint ({', '.join(tried)}) matches the exported model; "
                           "was model/ copied from another run?")

    def explain(self, source, class_name: str | None = None, name: str | None = None) -> Explanation:
        image = source if isinstance(source, Image.Image) else open_image(source, name)
        x = self.predictor.prepare(image)
        if class_name is not None and class_name not in self.classes:
            raise ExplainError(f"unknown class '{class_name}'; this model knows: {', '.join(self.classes)}")
        with self._lock:  # one forward/backward at a time: the hook's slot is shared
            logits, cam = self._cam(x, class_name)
        probs = softmax(logits)
        order = np.argsort(-probs)
        predicted = self.classes[int(order[0])]
        return Explanation(name or str(source), class_name or predicted, predicted,
                           {self.classes[i]: float(probs[i]) for i in order}, cam, overlay(image, cam))

    def _cam(self, x: np.ndarray, class_name: str | None) -> tuple[np.ndarray, np.ndarray]:
        ensure_eager()
        called = []  # every convolution's output in the order they ran: the last one that ran is explained
        hooks = [conv.register_forward_post_hook(lambda _layer, _inputs, out: called.append(out))
                 for conv in self.convs]
        try:
            tensor = paddle.to_tensor(x[None])
            tensor.stop_gradient = False  # a frozen backbone's maps need a gradient path too
            logits = self.model(tensor)
        finally:
            for hook in hooks:
                hook.remove()
        values = logits.numpy()[0]
        index = self.classes.index(class_name) if class_name is not None else int(values.argmax())
        maps = called[-1]
        (grads,) = paddle.grad(logits[0, index], maps)
        weights = grads.mean(axis=[2, 3], keepdim=True)
        cam = np.maximum((weights * maps).sum(axis=1)[0].numpy(), 0)
        height, width = x.shape[1:]
        cam = np.asarray(Image.fromarray(cam.astype(np.float32), mode="F").resize((width, height),
                                                                                 Image.BILINEAR))
        peak = float(cam.max())
        return values, (cam / peak if peak > 0 else np.zeros_like(cam)).astype(np.float32)


def colormap(values: np.ndarray) -> np.ndarray:
    """0..1 -> RGB uint8 on a blue-green-yellow-red ramp (jet-like), so hot reads as red."""
    v = np.clip(values, 0, 1)[..., None]
    stops = np.array([[0, 0, 128], [0, 96, 255], [0, 220, 160], [255, 230, 0], [220, 0, 0]], dtype=np.float32)
    position = v * (len(stops) - 1)
    low = np.clip(np.floor(position).astype(int), 0, len(stops) - 2)
    frac = position - low
    return (stops[low[..., 0]] * (1 - frac) + stops[low[..., 0] + 1] * frac).astype(np.uint8)


def overlay(image: Image.Image, cam: np.ndarray, alpha: float = OVERLAY_ALPHA) -> Image.Image:
    """The heat map blended over the image, at the image's size (at most MAX_OVERLAY_SIDE a side)."""
    base = image.convert("RGB")
    base.thumbnail((MAX_OVERLAY_SIDE, MAX_OVERLAY_SIDE))
    if max(base.size) < 128:  # tiny dataset images: scale up so the map can be seen
        factor = -(-128 // max(base.size))
        base = base.resize((base.width * factor, base.height * factor), Image.NEAREST)
    heat = np.asarray(Image.fromarray(cam.astype(np.float32), mode="F").resize(base.size, Image.BILINEAR))
    colours = Image.fromarray(colormap(heat))
    return Image.blend(base, colours, alpha)


_explainers: OrderedDict = OrderedDict()
_explainers_lock = threading.Lock()
EXPLAINER_CACHE = 2


def explainer(run_dir) -> Explainer:
    """The process's Explainer for a run (kept for the few most recent runs; a retrained run gets a new one)."""
    run_dir = Path(run_dir).resolve()
    params = rundir.model_path(run_dir, rundir.MODEL_PARAMS)
    key = (str(run_dir), params.stat().st_mtime_ns if params.exists() else 0)
    with _explainers_lock:
        if key in _explainers:
            _explainers.move_to_end(key)
            return _explainers[key]
    made = Explainer(run_dir)
    with _explainers_lock:
        _explainers[key] = made
        while len(_explainers) > EXPLAINER_CACHE:
            _explainers.popitem(last=False)
    return made


def explain(run_dir, source, class_name: str | None = None, name: str | None = None) -> Explanation:
    """Grad-CAM for one image (path, bytes, file object or PIL image) of a finished run: for `class_name`, else for the
    predicted class. ExplainError / PredictError carry one clear message."""
    return explainer(run_dir).explain(source, class_name, name)

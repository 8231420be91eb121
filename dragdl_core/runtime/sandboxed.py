"""What a Paddle sandbox child does: `dragdl_core.sandbox` runs these functions by name in its pre-started
children (memory, CPU and wall limits; killed on overrun), so the web process and the API never import
Paddle for previews, predictions or heat maps. The parent side (pool, limits, the public calls) is pure and
lives in dragdl_core/sandbox/."""
from __future__ import annotations

from collections import OrderedDict

from ..imaging import fit_within, to_display
from ..sandbox.prediction import MODELS_PER_CHILD, PredictionUnavailable
from .eager import ensure_eager
from .gradcam import explain
from .predict import PredictError, Predictor
from .preview import preview


def setup() -> None:
    """Called once as a Paddle child starts, after the imports: eager mode for the jobs' thread."""
    ensure_eager()


def preview_in_child(graph: dict, node_id: str, max_side: int):
    result = preview(graph, node_id)
    return (result.classes, [[fit_within(to_display(a), max_side) for a in row] for row in result.draws],
            result.random)


_models: OrderedDict = OrderedDict()


def predict_in_child(run_dir: str, stamp: float, name: str, data: bytes) -> dict:
    """Inside a sandbox child: the run's Predictor (kept for the next file), then this one file."""
    key = (run_dir, stamp)
    if key not in _models:
        try:
            _models[key] = Predictor(run_dir)
        except PredictError as err:
            raise PredictionUnavailable(str(err).replace(run_dir, "this task")) from None
        while len(_models) > MODELS_PER_CHILD:
            _models.popitem(last=False)
    _models.move_to_end(key)
    try:
        result = _models[key].predict(data, name)
    except MemoryError:
        raise
    except PredictError as err:
        return {"image": name, "error": str(err)}
    except Exception as err:  # any decoder's error (ValueError, SyntaxError, struct.error...) is this file's
        return {"image": name, "error": f"{name}: not an image DragDL can read ({type(err).__name__})"}
    return {"image": name, "top": result.top, "probabilities": result.probabilities,
            "model_input": result.model_input}


def explain_in_child(run_dir: str, name: str, data: bytes, class_name: str | None):
    try:
        cam = explain(run_dir, data, class_name, name=name)
    except PredictError as err:
        raise ValueError(str(err).replace(run_dir, "this task")) from None
    return cam.class_name, cam.overlay

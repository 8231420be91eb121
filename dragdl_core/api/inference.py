"""The one function the API predicts through. For now a bounded in-process cache of loaded models
(runtime/predictor_cache.py); switching to a sandboxed prediction process is a change here only."""
from __future__ import annotations

from pathlib import Path

from .errors import ApiError


def predict_upload(run_dir: Path, name: str, data: bytes) -> dict:
    """`{"image", "top", "probabilities"}` for one image's bytes, or ApiError 422 naming the image."""
    from ..runtime.predict import PredictError  # Paddle: imported on the first prediction, not at start
    from ..runtime.predictor_cache import predict

    try:
        result = predict(run_dir, data, name)
    except PredictError as err:
        raise ApiError(422, str(err)) from None
    return {"image": name, "top": result.top, "probabilities": result.probabilities}

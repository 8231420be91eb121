"""The one function the API predicts through: the sandboxed prediction pool the Predict page uses
(dragdl_core/sandbox/prediction.py), so an upload is decoded and run in a child process with memory and
time limits, never in the API process."""
from __future__ import annotations

from pathlib import Path

from .errors import ApiError


def predict_upload(run_dir: Path, name: str, data: bytes) -> dict:
    """`{"image", "top", "probabilities"}` for one image's bytes, or ApiError 422 naming the image."""
    from ..sandbox.prediction import PredictionUnavailable, predict_images

    try:
        [result] = predict_images(run_dir, [(name, data)])
    except PredictionUnavailable as err:
        raise ApiError(409, str(err)) from None
    if "error" in result:
        raise ApiError(422, result["error"])
    return {"image": name, "top": result["top"], "probabilities": result["probabilities"]}

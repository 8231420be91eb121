"""Predictions from a finished run, computed in a sandbox child (Paddle imported there, not in the caller).

`predict_images(run_dir, files)` is the public entry for the pages, the REST API and the command line:
`files` is a list of `(name, bytes)`; the answer is one dict per file, in order:
    {"image": name, "top": class, "probabilities": {class: p, most likely first}, "model_input": (C, H, W) array}
or  {"image": name, "error": "name: why it could not be read"}.
A bad file (truncated, not an image, too large, too slow to decode) costs only its own line: each file is
its own job with its own limits, and the other files are still answered. A run that cannot predict at all
(no exported model) raises PredictionUnavailable."""
from __future__ import annotations

import json
from pathlib import Path

from .pool import SandboxError, run

TIME_LIMIT_S = 20.0  # one file, including loading the model into a fresh child
MODELS_PER_CHILD = 4


class PredictionUnavailable(ValueError):
    """The run has no model to predict with; one line for the student."""


def predict_images(run_dir, files: list[tuple[str, bytes]]) -> list[dict]:
    """One result or one error per file (see the module docstring); never raises for a bad file."""
    folder = Path(run_dir)
    meta = folder / "model" / "meta.json"
    if not meta.is_file():
        raise PredictionUnavailable("this task has no exported model yet; prediction needs a task that "
                                    "finished training")
    stamp = meta.stat().st_mtime
    results = []
    for name, data in files:
        name = str(name)
        try:
            results.append(run("paddle", "dragdl_core.runtime.sandboxed:predict_in_child",
                               (str(folder), stamp, name, bytes(data)), time_limit=TIME_LIMIT_S))
        except PredictionUnavailable:
            raise
        except (SandboxError, ValueError) as err:
            results.append({"image": name, "error": f"{name}: {err}"})
    return results


def model_info(run_dir) -> dict:
    """Class names and input shape of a run's exported model, read without Paddle (for captions)."""
    meta = Path(run_dir) / "model" / "meta.json"
    try:
        return json.loads(meta.read_text())
    except (OSError, ValueError):
        raise PredictionUnavailable("this task has no exported model yet; prediction needs a task that "
                                    "finished training") from None


def explain_image(run_dir, name: str, data: bytes, class_name: str | None = None) -> tuple[str, object]:
    """(class explained, the Grad-CAM overlay as a PIL image) for one uploaded file, computed in a sandbox
    child like a prediction. ValueError with one line for the student (no conv layer, unknown class...)."""
    return run("paddle", "dragdl_core.runtime.sandboxed:explain_in_child",
               (str(run_dir), str(name), bytes(data), class_name), time_limit=TIME_LIMIT_S)

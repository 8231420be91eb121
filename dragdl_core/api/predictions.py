"""POST /api/tasks/{id}/predict: class probabilities for one uploaded image, under the Predict page's
upload rules (dragdl_core.serving.uploads) and pixel limit."""
from __future__ import annotations

from fastapi import APIRouter, Depends, File, UploadFile

from .. import tasks
from ..classroom.access import Actor
from ..serving.uploads import MAX_UPLOAD_BYTES, check_upload
from .auth import current_actor
from .errors import ApiError
from .inference import predict_upload

router = APIRouter(prefix="/tasks", tags=["predictions"])


@router.post("/{task_id}/predict", summary="Classify one uploaded image with the task's trained model")
def predict(task_id: str, image: UploadFile = File(..., description="the image (png, jpg, ...)"),
            actor: Actor = Depends(current_actor)) -> dict:
    folder = tasks.run_dir(task_id, actor=actor)
    data = image.file.read(MAX_UPLOAD_BYTES + 1)
    name = check_upload(image.filename, len(data))
    if not (folder / "model" / "meta.json").exists():
        state = tasks.status(task_id, actor=actor)["state"]
        raise ApiError(409, f"task {task_id} has no trained model yet (it is {state}); predict after it succeeds")
    return predict_upload(folder, name, data)

"""GET /api/tasks/{id}/export?format=onnx|zip: the trained model as a file (dragdl_core.serving.export)."""
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse

from .. import tasks
from ..classroom.access import Actor
from ..serving.export import ExportError, cached_export
from .auth import current_actor
from .errors import ApiError

router = APIRouter(prefix="/tasks", tags=["exports"])
MEDIA = {"onnx": "application/octet-stream", "zip": "application/zip"}


@router.get("/{task_id}/export", summary="Download the trained model: one ONNX file, or a zip with predict.py",
            response_class=FileResponse)
def export(task_id: str, format: Literal["onnx", "zip"] = Query("zip"), actor: Actor = Depends(current_actor)):
    folder = tasks.run_dir(task_id, actor=actor)
    if not (folder / "model" / "meta.json").exists():
        state = tasks.status(task_id, actor=actor)["state"]
        raise ApiError(409, f"task {task_id} has no trained model yet (it is {state}); export after it succeeds")
    try:
        path = cached_export(folder, format)
    except ExportError as err:
        raise ApiError(422, str(err)) from None
    return FileResponse(path, media_type=MEDIA[format], filename=f"dragdl-{task_id}.{format}")

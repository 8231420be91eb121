"""The rules for an image uploaded to predict, the same for the Predict page and the REST API: which file
types, how many bytes (the pixel limit is checked when the image is opened, runtime/predict.py)."""
from __future__ import annotations

from pathlib import PurePath

IMAGE_TYPES = ("png", "jpg", "jpeg", "bmp", "gif", "webp", "tif", "tiff")
MAX_UPLOAD_MB = 20
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024


class UploadError(ValueError):
    """An upload refused before it is opened; `.status` is the HTTP status that fits."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


def check_upload(name: str | None, size: int) -> str:
    """The upload's display name when its type and size are acceptable, else UploadError naming it."""
    label = PurePath(name or "upload").name[:200] or "upload"
    suffix = PurePath(label).suffix.lower().lstrip(".")
    if suffix and suffix not in IMAGE_TYPES:
        raise UploadError(f"{label}: .{suffix} files are not accepted; upload one of {', '.join(IMAGE_TYPES)}")
    if size > MAX_UPLOAD_BYTES:
        raise UploadError(f"{label}: {size / 1024 / 1024:.1f} MB is more than the {MAX_UPLOAD_MB} MB an "
                          "upload may have", 413)
    if size == 0:
        raise UploadError(f"{label}: the file is empty")
    return label

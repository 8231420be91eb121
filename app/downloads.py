"""The trained model's download buttons (a zip that runs anywhere, and the ONNX file), for the Monitor,
Models and Predict pages. The file is made only when a button is clicked (Streamlit calls `data` then, off
the page's thread) and kept under the run's export/ folder, shared with the REST API."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

FORMATS = {"zip": ("Download model (zip, runs anywhere)", "application/zip",
                   "ONNX model, Paddle model, labels, preprocessing and a predict.py that needs only "
                   "onnxruntime, numpy and Pillow"),
           "onnx": ("Download ONNX", "application/octet-stream", "the model alone, in ONNX")}


def _maker(run_dir: Path, fmt: str):
    def make() -> bytes:
        from dragdl_core.serving.export import ExportError, cached_export

        try:
            return cached_export(run_dir, fmt).read_bytes()
        except ExportError as err:  # a download cannot show an error: the file says it instead
            return f"This model could not be exported: {err}\n".encode()
    return make


def model_downloads(run_dir, task_id: str, key: str) -> None:
    """Two buttons side by side, or nothing while the run has no trained model."""
    run_dir = Path(run_dir)
    if not (run_dir / "model" / "meta.json").exists():
        return
    for column, (fmt, (label, mime, tip)) in zip(st.columns([1] * len(FORMATS) + [2]), FORMATS.items()):
        column.download_button(label, _maker(run_dir, fmt), file_name=f"dragdl-{task_id}.{fmt}", mime=mime,
                               help=tip, key=f"download:{key}:{fmt}:{task_id}", on_click="ignore",
                               icon=":material/download:")

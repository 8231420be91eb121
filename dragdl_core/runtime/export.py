"""A finished run's model for use elsewhere: the Paddle inference files, one ONNX file, or a zip with both,
the class names, the evaluation preprocessing as data and a predict.py that needs neither Paddle nor
DragDL (`python -m dragdl_core export RUN_DIR --format paddle|onnx|zip -o PATH`)."""
from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

from .. import registry
from ..graph import GraphError, load_graph
from ..preprocess import PreprocessError, describe
from ..standalone import PREDICT, README

FORMATS = ("paddle", "onnx", "zip")
OPSET = 11
PADDLE_FILES = ("inference.json", "inference.pdiparams")


class ExportError(ValueError):
    """A run that cannot be exported; the message says why and, when a node is to blame, which one."""


def _model_dir(run_dir: Path) -> Path:
    model = run_dir / "model"
    if not all((model / name).exists() for name in (*PADDLE_FILES, "meta.json")):
        raise ExportError(f"{run_dir} has no trained model yet (model/inference.json, model/meta.json); "
                          "export needs a run that finished training")
    return model


def _graph(run_dir: Path):
    try:
        return load_graph(run_dir / "graph.json")
    except (GraphError, OSError) as err:
        raise ExportError(f"{run_dir}: cannot read graph.json ({err})") from None


def labels(run_dir: Path) -> list[str]:
    return json.loads((_model_dir(run_dir) / "meta.json").read_text())["classes"]


def preprocess(run_dir: Path) -> dict:
    meta = json.loads((_model_dir(run_dir) / "meta.json").read_text())
    try:
        return describe(_graph(run_dir), meta.get("image_shape"))
    except PreprocessError as err:
        raise ExportError(str(err)) from None


def _model_nodes(run_dir: Path) -> list[str]:
    """'id (Type)' of the nodes that make up the network, to name in a conversion failure."""
    try:
        graph = _graph(run_dir)
    except ExportError:
        return []
    kinds = ("layer", "backbone", "head")
    return [f"'{n.id}' ({n.type})" for n in graph.nodes
            if registry.get(n.type) is not None and registry.get(n.type).category in kinds]


@contextlib.contextmanager
def _stdout_to_stderr():
    """paddle2onnx's C++ part prints progress on file descriptor 1; keep a command's stdout for its result."""
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def convert_to_onnx(model_file: Path, params_file: Path, out: Path, what: str = "the model") -> Path:
    """paddle2onnx on a `paddle.jit.save`d model. Without onnxoptimizer instead of polygraphy, which would
    pip-install packages at run time. A Paddle operator ONNX cannot express is an ExportError naming it."""
    import paddle2onnx

    out.parent.mkdir(parents=True, exist_ok=True)
    quiet = io.StringIO()
    logging.getLogger("paddle2onnx").setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(quiet), _stdout_to_stderr():
            paddle2onnx.export(str(model_file), str(params_file), save_file=str(out), opset_version=OPSET,
                               enable_onnx_checker=True, optimize_tool="onnxoptimizer", verbose=False)
    except Exception as err:  # paddle2onnx raises bare Exceptions/AssertionErrors for unsupported operators
        ops = sorted(set(re.findall(r"Oops[^\n]*?\b([a-z_0-9]+)\b", str(err) + quiet.getvalue())))
        detail = f" (Paddle operators without an ONNX conversion: {', '.join(ops)})" if ops else f": {err}"
        raise ExportError(f"{what} cannot be converted to ONNX{detail}") from None
    if not out.exists():
        raise ExportError(f"{what} cannot be converted to ONNX: paddle2onnx wrote nothing "
                          f"({quiet.getvalue().strip()[-300:]})")
    return out


def export_onnx(run_dir, out) -> Path:
    run_dir, out = Path(run_dir), Path(out)
    model = _model_dir(run_dir)
    nodes = _model_nodes(run_dir)
    what = f"the model of {run_dir.name} (nodes {', '.join(nodes)})" if nodes else f"the model of {run_dir.name}"
    return convert_to_onnx(model / "inference.json", model / "inference.pdiparams", out, what)


def export_paddle(run_dir, out) -> Path:
    """A folder with the Paddle inference model, labels.json and preprocess.json."""
    run_dir, out = Path(run_dir), Path(out)
    model = _model_dir(run_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"{out} already exists and is not an empty folder; choose a new -o path")
    out.mkdir(parents=True, exist_ok=True)
    for name in PADDLE_FILES:
        shutil.copy2(model / name, out / name)
    (out / "labels.json").write_text(json.dumps(labels(run_dir), indent=2))
    (out / "preprocess.json").write_text(json.dumps(preprocess(run_dir), indent=2))
    return out


def export_zip(run_dir, out) -> Path:
    """Everything in one zip (see dragdl_core/standalone/README.txt), written atomically."""
    run_dir, out = Path(run_dir), Path(out)
    model = _model_dir(run_dir)
    steps = preprocess(run_dir)  # before the slow conversion: a transform that cannot travel fails first
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dragdl-export-") as tmp:
        onnx_file = export_onnx(run_dir, Path(tmp) / "model.onnx")
        partial = out.with_name(f".{out.name}.{os.getpid()}.part")
        try:
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
                archive.write(onnx_file, "model.onnx")
                for name in PADDLE_FILES:
                    archive.write(model / name, name)
                archive.writestr("labels.json", json.dumps(labels(run_dir), indent=2))
                archive.writestr("preprocess.json", json.dumps(steps, indent=2))
                archive.write(PREDICT, "predict.py")
                archive.write(README, "README.txt")
            os.replace(partial, out)
        finally:
            partial.unlink(missing_ok=True)
    return out


def export(run_dir, fmt: str, out) -> Path:
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return {"paddle": export_paddle, "onnx": export_onnx, "zip": export_zip}[fmt](run_dir, out)

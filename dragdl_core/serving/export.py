"""A finished run's model for use elsewhere: the Paddle inference files, one ONNX file, or a zip with both,
the class names, the evaluation preprocessing as data and a predict.py that needs neither Paddle nor
DragDL (`python -m dragdl_core export RUN_DIR --format paddle|onnx|zip -o PATH`)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import zipfile
from pathlib import Path

from .. import rundir
from ..compiler import registry
from ..compiler.graph import GraphError, load_graph
from ..compiler.preprocess import PreprocessError, describe
from .standalone import PREDICT, README

FORMATS = ("paddle", "onnx", "zip")
CONVERT_TIMEOUT_S = 600
PADDLE_FILES = (rundir.MODEL_PROGRAM, rundir.MODEL_PARAMS)


class ExportError(ValueError):
    """A run that cannot be exported; the message says why and, when a node is to blame, which one."""


def _model_dir(run_dir: Path) -> Path:
    model = run_dir / rundir.MODEL
    if not all((model / name).exists() for name in (*PADDLE_FILES, rundir.MODEL_META)):
        raise ExportError(f"{run_dir} has no trained model yet (model/inference.json, model/meta.json); "
                          "export needs a run that finished training")
    return model


def _graph(run_dir: Path):
    try:
        return load_graph(run_dir / rundir.GRAPH)
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


def _model_nodes(run_dir: Path) -> tuple[list[str], str]:
    """'id (Type)' of the nodes that make up the network, and the one to suspect when conversion fails:
    every built-in layer type and backbone arch is checked by tests/test_export.py, so a Backbone with a
    registered (custom) family is the usual culprit."""
    try:
        graph = _graph(run_dir)
    except ExportError:
        return [], ""
    from .. import backbones

    kinds, builtin = ("layer", "backbone", "head"), backbones.builtin()
    nodes = [n for n in graph.nodes if registry.get(n.type) is not None and registry.get(n.type).category in kinds]
    custom = [n for n in nodes if n.type == "Backbone" and n.params.get("arch") not in builtin]
    suspect = "".join(f"; node '{n.id}' (Backbone, custom family '{n.params.get('arch')}') is the part not "
                      "checked for export: change its code or use a built-in arch" for n in custom[:1])
    return [f"'{n.id}' ({n.type})" for n in nodes], suspect


def convert_to_onnx(model_file: Path, params_file: Path, out: Path, what: str = "the model",
                    suspect: str = "") -> Path:
    """paddle2onnx on a `paddle.jit.save`d model, in a child process (see runtime/onnx_convert.py)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONWARNINGS="ignore", GLOG_minloglevel="2")
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    try:
        done = subprocess.run([sys.executable, "-m", "dragdl_core.runtime.onnx_convert", str(model_file),
                               str(params_file), str(out)], env=env, capture_output=True, text=True,
                              timeout=CONVERT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise ExportError(f"{what}: the ONNX conversion took longer than {CONVERT_TIMEOUT_S} s") from None
    if done.returncode == 0 and out.exists():
        return out
    output = done.stdout + done.stderr
    if "unsupported operators" in output:
        raise ExportError(f"{what} cannot be converted to ONNX: it uses a Paddle operator that ONNX "
                          f"conversion does not support{suspect}")
    last = [line for line in output.strip().splitlines() if line.strip()][-1:] or ["no output"]
    raise ExportError(f"{what} cannot be converted to ONNX: {last[0][:300]}")


def export_onnx(run_dir, out) -> Path:
    run_dir, out = Path(run_dir), Path(out)
    model = _model_dir(run_dir)
    nodes, suspect = _model_nodes(run_dir)
    what = f"the model of {run_dir.name} (nodes {', '.join(nodes)})" if nodes else f"the model of {run_dir.name}"
    return convert_to_onnx(model / rundir.MODEL_PROGRAM, model / rundir.MODEL_PARAMS, out, what, suspect)


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


def export_zip(run_dir, out, onnx_file: Path | None = None) -> Path:
    """Everything in one zip (see dragdl_core/serving/standalone/README.txt), written atomically; `onnx_file` is
    an ONNX export of the same model already made."""
    run_dir, out = Path(run_dir), Path(out)
    model = _model_dir(run_dir)
    steps = preprocess(run_dir)  # before the slow conversion: a transform that cannot travel fails first
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dragdl-export-") as tmp:
        onnx_file = onnx_file or export_onnx(run_dir, Path(tmp) / "model.onnx")
        partial = out.with_name(f".{out.name}.{os.getpid()}.{threading.get_ident()}.part")
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


def cached_export(run_dir, fmt: str) -> Path:
    """The run's ONNX file or zip under `<run_dir>/export/`, made once per trained model (again when the
    model is newer) and shared by the API and the app's download buttons."""
    run_dir = Path(run_dir)
    model = _model_dir(run_dir)
    if fmt not in ("onnx", "zip"):
        raise ExportError(f"unknown format {fmt!r}; choose onnx or zip")
    out = run_dir / "export" / f"model.{fmt}"
    newest = max((model / name).stat().st_mtime for name in (*PADDLE_FILES, "meta.json"))
    if out.exists() and out.stat().st_mtime >= newest:
        return out
    if fmt == "onnx":
        tmp = out.with_name(f".model.{os.getpid()}.{threading.get_ident()}.onnx")
        try:
            export_onnx(run_dir, tmp)
            os.replace(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)
        return out
    return export_zip(run_dir, out, cached_export(run_dir, "onnx"))

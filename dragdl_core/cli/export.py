"""export: a finished run's model for use elsewhere (Paddle inference files, ONNX, or a self-contained zip)."""
from __future__ import annotations

from pathlib import Path

from . import UserError

FORMATS = ("paddle", "onnx", "zip")


def cmd_export(args) -> int:
    from ..serving.export import ExportError, export  # paddle2onnx (in a child process) only when exporting

    run_dir = Path(args.run_dir)
    if not run_dir.is_dir():
        raise UserError(f"{run_dir}: no such run directory")
    try:
        out = export(run_dir, args.format, Path(args.output))
    except ExportError as err:
        raise UserError(str(err)) from None
    print(out)
    return 0


def register(sub) -> None:
    p = sub.add_parser("export", help="the trained model for use elsewhere: paddle, onnx or a zip with predict.py")
    p.add_argument("run_dir")
    p.add_argument("--format", choices=FORMATS, default="zip",
                   help="paddle: a folder with the inference model; onnx: one .onnx file; "
                        "zip: both, labels.json, preprocess.json, predict.py and a README (default)")
    p.add_argument("-o", "--output", required=True, help="where to write (a folder for paddle, a file otherwise)")
    p.set_defaults(handler=cmd_export)

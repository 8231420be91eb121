"""validate, compile, run, predict, nodes: the graph commands."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from . import UserError
from .. import config, rundir
from ..compiler import registry
from ..compiler.codegen import compile_graph
from .common import add_json_option, analyze_file, print_errors, print_json


def cmd_validate(args) -> int:
    result = analyze_file(args.graph)
    if result.errors:
        return print_errors(result.errors, args.json)
    if args.json:
        print_json({"valid": True, "shapes": result.shapes})
    else:
        print(f"valid: {len(result.order)} nodes; output shapes: "
              + ", ".join(f"{k} {v}" for k, v in result.shapes.items()))
    return 0


def cmd_compile(args) -> int:
    result = analyze_file(args.graph)
    if result.errors:
        return print_errors(result.errors, False)
    script = compile_graph(result)
    if args.output:
        Path(args.output).write_text(script, encoding="utf-8")
    else:
        sys.stdout.write(script)
    return 0


def script_env(threads: int | None = None) -> dict:
    """The environment a generated script runs in: the core importable, Paddle's import noise quiet."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(config.REPO_ROOT), env.get("PYTHONPATH")]))
    env.setdefault("PYTHONWARNINGS", "ignore:No ccache found")
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    return env


def write_run_dir(run_dir: Path, graph, script: str) -> None:
    """graph.json and train.py, written once: a run directory keeps what was submitted and what ran."""
    run_dir.mkdir(parents=True, exist_ok=True)
    for name, text in ((rundir.GRAPH, graph.to_json()), (rundir.SCRIPT, script)):
        path = run_dir / name
        if path.exists():
            if path.read_text(encoding="utf-8") != text:
                raise UserError(f"{run_dir} already holds a different {name}; use a new --run-dir")
        else:
            path.write_text(text, encoding="utf-8")


def cmd_run(args) -> int:
    result = analyze_file(args.graph)
    if result.errors:
        return print_errors(result.errors, False)
    run_dir = Path(args.run_dir)
    write_run_dir(run_dir, result.graph, compile_graph(result))
    command = [sys.executable, str(run_dir / rundir.SCRIPT), "--run-dir", str(run_dir)]
    if sys.stderr.isatty():
        command.append("--progress")
    code = subprocess.call(command, env=script_env())
    if code != 0:
        raise UserError(f"training failed (exit {code}); see {run_dir / rundir.LOG}", code=1)
    return 0


def cmd_predict(args) -> int:
    from ..runtime.predict import PredictError, Predictor

    if args.explain and len(args.images) != 1:
        raise UserError("--explain writes one heat map: give exactly one image with it")
    if args.explain_class and not args.explain:
        raise UserError("--explain-class needs --explain OUT.png")
    if args.explain and Path(args.explain).suffix.lower() != ".png":
        raise UserError(f"{args.explain}: --explain writes a PNG; name the file *.png")
    explained = None
    try:
        predictor = Predictor(args.run_dir)
    except PredictError as err:
        raise UserError(str(err)) from None
    results = []
    for image in args.images:  # a file that cannot be read is one line; the others are still answered
        try:
            r = predictor.predict(Path(image))
            results.append({"image": r.source, "top": r.top, "probabilities": r.probabilities})
        except PredictError as err:
            results.append({"image": image, "error": str(err)})
        except Exception as err:  # noqa: BLE001 - any decoder's error (ValueError, SyntaxError, ...)
            results.append({"image": image, "error": f"{image}: not an image DragDL can read "
                                                     f"({type(err).__name__})"})
    if args.explain and "error" not in results[0]:
        from ..runtime.gradcam import explain

        try:
            explained = explain(args.run_dir, Path(args.images[0]), args.explain_class)
        except PredictError as err:
            raise UserError(str(err)) from None
        out = Path(args.explain)
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            explained.save(out)
        except OSError as err:
            raise UserError(f"cannot write {out}: {err.strerror or err}") from None
        results[0].update(explain=args.explain, explained=explained.class_name)
    if args.json:
        print_json(results)
    for r in results:
        if "error" in r:
            print(f"error: {r['error']}", file=sys.stderr)
        elif not args.json:
            best = list(r["probabilities"].items())[:3]
            print(f"{r['image']}: " + ", ".join(f"{name} {p:.1%}" for name, p in best))
    if explained is not None and not args.json:
        print(f"Grad-CAM heat map for '{explained.class_name}' written to {args.explain}")
    return 2 if any("error" in r for r in results) else 0  # the good files are answered all the same


def cmd_nodes(args) -> int:
    docs = [t.to_doc() for t in registry.node_types().values()]
    if args.json:
        print_json(docs)
        return 0
    for doc in docs:
        print(f"{doc['type']:<22} {doc['group']:<11} {doc['description']}")
        for name, p in doc["params"].items():
            default = f" = {p['default']!r}" if "default" in p else " (required)"
            print(f"    {name}{default}  {p.get('bounds', '')}  {p['description']}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("validate", help="check a graph; exit 2 with its errors when it is not valid")
    p.add_argument("graph")
    add_json_option(p, "errors (or shapes) as JSON")
    p.set_defaults(handler=cmd_validate)

    p = sub.add_parser("compile", help="print the standalone PaddlePaddle training script for a graph")
    p.add_argument("graph")
    p.add_argument("-o", "--output", help="write the script to this file")
    p.set_defaults(handler=cmd_compile)

    p = sub.add_parser("run", help="train a graph in the foreground, writing the run directory")
    p.add_argument("graph")
    p.add_argument("--run-dir", required=True)
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser("predict", help="class probabilities for images, from a finished run")
    p.add_argument("run_dir")
    p.add_argument("images", nargs="+")
    p.add_argument("--explain", metavar="OUT.png",
                   help="also write a Grad-CAM heat map over the (one) image: where a conv model looked")
    p.add_argument("--explain-class", metavar="CLASS", help="explain this class instead of the predicted one")
    add_json_option(p)
    p.set_defaults(handler=cmd_predict)

    p = sub.add_parser("nodes", help="list every node type with its parameters")
    add_json_option(p)
    p.set_defaults(handler=cmd_nodes)

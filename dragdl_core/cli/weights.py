"""weights list | fetch ARCH | import FILE --arch A [--name N], and pretrain GRAPH --name N: the weights
store behind the Backbone node's `weights` parameter (see dragdl_core.stores.weights)."""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import socket
import time
from pathlib import Path
from urllib.parse import urlparse

from . import UserError
from .. import backbones, config, rundir
from ..stores import weights as store
from .common import add_json_option, analyze_file, print_errors, print_json
from .graph import cmd_run

RESERVED = (store.IMAGENET, store.NONE)


def _arch(name: str):
    arch = backbones.get(name)
    if arch is None:
        raise UserError(f"unknown arch '{name}' (known: {', '.join(backbones.names())})")
    return arch


def _check_new_name(arch: str, name: str, replace: bool, reserved=()) -> None:
    if not store.valid_name(name) or name in reserved:
        allowed = f", not {' or '.join(reserved)}" if reserved else ""
        raise UserError(f"'{name}' cannot name weights (letters, digits, _ . -, at most 64{allowed})")
    if store.stored_path(arch, name).exists() and not replace:
        raise UserError(f"weights '{name}' for {arch} exist already; choose another --name or pass --replace")


def imagenet_status(arch) -> str:
    if not arch.imagenet_url:
        return "not published"
    found = store.find(arch, store.IMAGENET)
    if found is None:
        return "not downloaded"
    return "store" if found.is_relative_to(store.store_dir()) else "paddle cache"


def cmd_list(args) -> int:
    archs = [{**arch.to_doc(), "imagenet_weights": imagenet_status(arch)} for arch in backbones.catalog().values()]
    entries = store.stored()
    if args.json:
        print_json({"archs": archs, "stored": entries})
        return 0
    print(f"{'ARCH':<22}{'FEATURES':>9}{'PARAMS':>12}  IMAGENET WEIGHTS")
    for a in archs:
        print(f"{a['arch']:<22}{a['features']:>9}{a['parameters']:>12,}  {a['imagenet_weights']}"
              + ("  (custom)" if a["custom"] else ""))
    print(f"\n{'stored' if entries else 'no stored'} weights in {store.store_dir()}{':' if entries else ''}")
    for e in entries:
        detail = e.get("source", "")
        if e.get("test_accuracy") is not None:
            detail += f", test accuracy {e['test_accuracy']:.3f} on {e.get('dataset', '?')}"
        print(f"  {e['arch']:<22}{e['name']:<20}{e['bytes'] / 2**20:8.1f} MB  {detail}")
    return 0


def _reachable(url: str, timeout: float = 5.0) -> bool:
    host = urlparse(url).hostname
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def cmd_fetch(args) -> int:
    arch = _arch(args.arch)
    if not arch.imagenet_url:
        raise UserError(store.problem(arch, store.IMAGENET))
    found = store.find(arch, store.IMAGENET)
    if found:
        print(f"{arch.name}: ImageNet weights already here: {found}")
        return 0
    if not _reachable(arch.imagenet_url):
        raise UserError(f"cannot reach {urlparse(arch.imagenet_url).hostname} (offline?); download "
                        f"{arch.imagenet_url} on a machine that is online, copy it here and run "
                        f"`python -m dragdl_core weights import {arch.imagenet_file} --arch {arch.name}`")
    from ..runtime.backbones import BackboneError, weights_file
    try:
        path = weights_file(arch, store.IMAGENET)
    except BackboneError as err:
        raise UserError(err.for_command_line()) from None
    print(f"{arch.name}: ImageNet weights downloaded to {path}")
    return 0


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cmd_import(args) -> int:
    source = Path(args.file)
    if not source.is_file():
        raise UserError(f"no such file: {source}")
    arch = _arch(args.arch)
    _check_new_name(arch.name, args.name, args.replace, reserved=(store.NONE,))
    from ..runtime.backbones import FeatureExtractor, BackboneError, build_network, load_weights
    try:
        load_weights(FeatureExtractor(arch, build_network(arch)), source)
    except BackboneError as err:
        raise UserError(err.for_command_line()) from None
    target = store.stored_path(arch.name, args.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)
    meta = {"source": "imported", "file": str(source.resolve()), "sha256": _sha256(target),
            "created": time.strftime("%Y-%m-%d %H:%M:%S")}
    store.write_meta(arch.name, args.name, meta)
    print(f"imported {source} as weights '{args.name}' for {arch.name}: {target}")
    return 0


def _backbone_node(analysis):
    for node in analysis.order:
        if node.type == "Backbone":
            return node, analysis.params[node.id]
    raise UserError(f"{analysis.graph.name}: pretrain needs a graph with a Backbone node (the one to train)")


def cmd_pretrain(args) -> int:
    analysis = analyze_file(args.graph)
    if analysis.errors:
        return print_errors(analysis.errors, False)
    node, params = _backbone_node(analysis)
    if params["freeze"] == "features":
        raise UserError(f"'{node.id}' has freeze 'features': its weights would not learn anything; use "
                        "freeze 'none' (or 'partial') to pretrain it")
    arch = params["arch"]
    _check_new_name(arch, args.name, args.replace, reserved=RESERVED)
    run_dir = Path(args.run_dir) if args.run_dir else config.home() / "pretrain" / arch / args.name
    if args.replace and not args.run_dir and run_dir.exists():
        shutil.rmtree(run_dir)
    cmd_run(argparse.Namespace(graph=args.graph, run_dir=str(run_dir)))

    from ..runtime.backbones import BackboneError, save_from_run
    trainer = analysis.params[analysis.order[-1].id]
    checkpoint = rundir.CHECKPOINT_BEST if trainer["early_stopping_patience"] else rundir.CHECKPOINT_MODEL  # what was exported
    report = json.loads((run_dir / rundir.REPORT).read_text())
    dataset = analysis.order[0]
    try:
        path = save_from_run(rundir.checkpoint(run_dir, checkpoint), backbones.get(arch), args.name)
    except BackboneError as err:
        raise UserError(err.for_command_line()) from None
    store.write_meta(arch, args.name, {
        "source": "pretrain", "graph": analysis.graph.name, "run_dir": str(run_dir.resolve()),
        "dataset": dataset.type, "dataset_params": analysis.params[dataset.id],
        "classes": report["classes"], "test_accuracy": report["accuracy"], "epochs": report["epochs_trained"],
        "created": time.strftime("%Y-%m-%d %H:%M:%S")})
    print(f"registered {arch} weights '{args.name}' (test accuracy {report['accuracy']:.3f} on {dataset.type}): "
          f"{path}\nuse them in another graph with Backbone arch '{arch}', weights '{args.name}'")
    return 0


def register(sub) -> None:
    weights = sub.add_parser("weights", help="the backbone weights store: list, fetch ImageNet weights, import")
    commands = weights.add_subparsers(dest="weights_command", required=True, metavar="SUBCOMMAND")

    p = commands.add_parser("list", help="architectures, their ImageNet weights, and every stored weights file")
    add_json_option(p)
    p.set_defaults(handler=cmd_list)

    p = commands.add_parser("fetch", help="download PaddlePaddle's ImageNet weights for ARCH (needs internet)")
    p.add_argument("arch")
    p.set_defaults(handler=cmd_fetch)

    p = commands.add_parser("import", help="store a weights file (.pdparams) for ARCH, checked to fit it")
    p.add_argument("file")
    p.add_argument("--arch", required=True)
    p.add_argument("--name", default=store.IMAGENET, help="what graphs call them (default: imagenet)")
    p.add_argument("--replace", action="store_true", help="overwrite weights of the same name")
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser("pretrain", help="train a graph's Backbone on its dataset and store its weights by name")
    p.add_argument("graph")
    p.add_argument("--name", required=True, help="the name other graphs use as Backbone.weights")
    p.add_argument("--run-dir", help="where the run goes (default: <home>/pretrain/ARCH/NAME)")
    p.add_argument("--replace", action="store_true", help="overwrite weights of the same name")
    p.set_defaults(handler=cmd_pretrain)

"""The weights store: where a Backbone's `weights` come from, decided by looking at files only (pure: no
Paddle, no network), so validation answers at once and an offline machine gets a message, not a hang.

    <home>/weights/<arch>/<name>.pdparams   the tensors (Paddle's own state-dict format)
    <home>/weights/<arch>/<name>.json       where they came from: imported file, pretraining run, accuracy

`weights: imagenet` resolves through the store, then PaddlePaddle's own download cache
(~/.cache/paddle/hapi/weights), then - at training time only, when online - PaddlePaddle's downloader."""
from __future__ import annotations

import json
import os
from pathlib import Path

from .. import config
from ..backbones.arch import Arch
from .names import is_folder_name

IMAGENET = "imagenet"
NONE = "none"
CLI = "python -m dragdl_core"


def store_dir() -> Path:
    return config.home() / "weights"


def paddle_weights_dir() -> Path:
    """Where paddle.vision.models' downloader keeps weights (paddle.utils.download.WEIGHTS_HOME)."""
    return Path.home() / ".cache" / "paddle" / "hapi" / "weights"


def stored_path(arch: str, name: str) -> Path:
    return store_dir() / arch / f"{name}.pdparams"


def meta_path(arch: str, name: str) -> Path:
    return store_dir() / arch / f"{name}.json"


def valid_name(name: str) -> bool:
    return is_folder_name(name)


def find(arch: Arch, weights: str) -> Path | None:
    """The file that serves `weights` for `arch` on this machine, or None."""
    if weights == NONE or not valid_name(weights):
        return None
    local = stored_path(arch.name, weights)
    if local.is_file():
        return local
    if weights == IMAGENET and arch.imagenet_file:
        cached = paddle_weights_dir() / arch.imagenet_file
        if cached.is_file():
            return cached
    return None


def problem(arch: Arch, weights: str) -> str | None:
    """Why `weights` cannot be used with `arch` right now, for the command line: the advice, then the paths
    and commands that carry it out. None when the weights can be used."""
    found = advice(arch, weights)
    return None if found is None else with_detail(*found)


def with_detail(message: str, detail: str | None) -> str:
    """Advice and its detail in one line, for the command line (whoever reads it runs the server)."""
    return f"{message} ({detail})" if detail else message


def advice(arch: Arch, weights: str) -> tuple[str, str | None] | None:
    """(message, detail) when `weights` cannot be used with `arch`, else None. The message is written for a
    student (no server path, no command: what to choose instead, or to ask the instructor); the detail is for
    whoever runs the server (where it looked, which command provides the weights)."""
    if weights == NONE or find(arch, weights):
        return None
    import_command = f"{CLI} weights import FILE --arch {arch.name}"
    if not valid_name(weights):
        return (f"Backbone.weights must be '{IMAGENET}', '{NONE}' or the name of stored weights "
                f"(letters, digits, _ . -), got {weights!r}", None)
    if weights == IMAGENET:
        if not arch.imagenet_url:
            return (f"PaddlePaddle publishes no ImageNet weights for {arch.name}: choose weights '{NONE}' "
                    f"(a random start) or another arch, or ask your instructor for weights made for {arch.name}",
                    f"train some with `{CLI} pretrain GRAPH --name NAME` or provide a file with `{import_command}`")
        return (f"ImageNet weights for {arch.name} are not on this server yet: ask your instructor to add them, "
                f"or choose weights '{NONE}' (a random start, which learns much more slowly)",
                f"looked in {stored_path(arch.name, IMAGENET)} and {paddle_weights_dir() / arch.imagenet_file}; "
                f"when online: `{CLI} weights fetch {arch.name}`; offline: bring {arch.imagenet_url} from a "
                f"machine that is online and run `{CLI} weights import {arch.imagenet_file} --arch {arch.name}`")
    elsewhere = [entry["arch"] for entry in stored() if entry["name"] == weights]
    if elsewhere:
        return (f"weights '{weights}' were made for {', '.join(elsewhere)}, not {arch.name}; choose that arch "
                f"or other weights", None)
    mine = [entry["name"] for entry in stored() if entry["arch"] == arch.name]
    known = f" (stored for {arch.name}: {', '.join(mine)})" if mine else ""
    return (f"no weights named '{weights}' for {arch.name}{known}: choose '{IMAGENET}', '{NONE}' or stored "
            f"weights, or ask your instructor to add '{weights}'",
            f"make them with `{CLI} pretrain GRAPH --name {weights}` or `{import_command} --name {weights}`")


def stored() -> list[dict]:
    """Every entry of the store: arch, name, path, size and what its JSON says about where it came from."""
    root = store_dir()
    entries = []
    if not root.is_dir():
        return entries
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(folder.glob("*.pdparams")):
            entry = {"arch": folder.name, "name": path.stem, "path": str(path), "bytes": path.stat().st_size}
            try:
                entry.update(json.loads(meta_path(folder.name, path.stem).read_text(encoding="utf-8")))
            except (OSError, json.JSONDecodeError):
                entry["source"] = "unknown (no readable .json beside it)"
            entry.update(arch=folder.name, name=path.stem, path=str(path))
            entries.append(entry)
    return entries


def write_meta(arch: str, name: str, meta: dict) -> None:
    path = meta_path(arch, name)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"arch": arch, "name": name, **meta}, indent=2), encoding="utf-8")
    os.replace(tmp, path)

"""Custom model families an instructor registered (`python -m dragdl_core models register FILE --name N`).

Each lives in <home>/models/<name>/: the Python file (model.py) and what registering measured about it
(arch.json). The catalog reads only arch.json, so validation never runs the file; the runtime imports it
when a graph uses the arch. Registering runs code, which is why only instructors (who run the server's
command line) can do it."""
from __future__ import annotations

import json
import re
from pathlib import Path

from .. import config
from .arch import Arch, Block, Window

NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{1,39}")


def models_dir() -> Path:
    return config.home() / "models"


def model_dir(name: str) -> Path:
    return models_dir() / name


def stride_windows(stride: int) -> tuple[Window, ...]:
    """A custom block is measured, not read: its size rule is "divide by the stride, rounding up"."""
    return (Window(1, stride, 0),) if stride > 1 else ()


def from_json(data: dict, folder: Path) -> Arch:
    """The Arch an arch.json describes; KeyError/TypeError/ValueError when it is malformed."""
    blocks = tuple(Block(b["name"], tuple(b["layers"]), int(b["channels"]), stride_windows(int(b["stride"])),
                         int(b["parameters"]), int(b["statistics"])) for b in data["blocks"])
    if not blocks:
        raise ValueError("no blocks")
    return Arch(data["name"], "custom", data.get("description") or f"custom model {data['name']}",
                data["class"], blocks, min_size=int(data["min_size"]), in_channels=int(data["in_channels"]),
                mean=tuple(data["mean"]), std=tuple(data["std"]), source=str(folder / "model.py"))


def to_json(arch: Arch, extra: dict) -> dict:
    return {"name": arch.name, "description": arch.description, "class": arch.constructor,
            "in_channels": arch.in_channels, "min_size": arch.min_size, "mean": list(arch.mean),
            "std": list(arch.std), **extra,
            "blocks": [{"name": b.name, "layers": list(b.layers), "channels": b.channels,
                        "stride": b.windows[0].stride if b.windows else 1, "parameters": b.parameters,
                        "statistics": b.statistics} for b in arch.blocks]}


def read(folder: Path) -> Arch:
    """One registered model; ValueError with the reason when its folder is incomplete or corrupt."""
    try:
        data = json.loads((folder / "arch.json").read_text(encoding="utf-8"))
        if not (folder / "model.py").is_file():
            raise ValueError("model.py is missing")
        return from_json(data, folder)
    except (OSError, json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
        raise ValueError(f"registered model '{folder.name}' is broken ({type(err).__name__}: {err}); "
                         f"register it again") from None


def registered() -> dict[str, Arch]:
    """Every readable registered model by name (a broken one is left out; `models list` shows why)."""
    root = models_dir()
    if not root.is_dir():
        return {}
    found = {}
    for folder in sorted(root.iterdir()):
        if folder.is_dir() and NAME_PATTERN.fullmatch(folder.name):
            try:
                found[folder.name] = read(folder)
            except ValueError:
                continue
    return found

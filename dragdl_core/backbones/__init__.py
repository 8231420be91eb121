"""The backbone catalog: every architecture a Backbone node can use, described as data (pure, no Paddle).

Built-in families live one per module here, each defining `ARCHS`; adding a family is adding a module.
Custom models an instructor registered (see `custom`) join the catalog from the home directory."""
from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from . import custom
from .arch import IMAGENET_MEAN, IMAGENET_STD, Arch, Block, Window

__all__ = ["Arch", "Block", "Window", "IMAGENET_MEAN", "IMAGENET_STD", "builtin", "catalog", "get", "names"]


@lru_cache(maxsize=1)
def builtin() -> dict[str, Arch]:
    archs = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for arch in getattr(module, "ARCHS", ()):
            if arch.name in archs:
                raise ValueError(f"backbone {arch.name} is defined twice")
            archs[arch.name] = arch
    return archs


def catalog() -> dict[str, Arch]:
    """Built-in architectures, then the registered custom models (read afresh: registering needs no restart)."""
    return {**builtin(), **{name: arch for name, arch in custom.registered().items() if name not in builtin()}}


def get(name: str) -> Arch | None:
    return builtin().get(name) or custom.registered().get(name)


def names() -> list[str]:
    return list(catalog())

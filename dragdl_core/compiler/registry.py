"""The registry of node types. Each node type lives in its own small file under `dragdl_core/nodes/` and
registers itself with `@register`; everything else (validation, shapes, code, the palette) reads it here."""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .params import Param, ParamError

# Categories in the order a version-1 graph visits them.
CATEGORIES = ("dataset", "transform", "layer", "backbone", "head", "trainer")
PALETTE_GROUPS = {"dataset": "Datasets", "transform": "Transforms", "layer": "Layers",
                  "backbone": "Models", "head": "Models", "trainer": "Train"}


class ShapeError(ValueError):
    """A node cannot take the shape that reaches it; `field` names the parameter to blame, if any.
    `message` is written for a student; `detail` (server paths, commands) is for whoever runs the server."""

    def __init__(self, message: str, field: str | None = None, detail: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.detail = detail


@dataclass
class Context:
    """What a node may need to know beyond its own params: the dataset's classes and input shape."""

    num_classes: int | None = None
    image_shape: list[int] | None = None  # [C, H, W] as the dataset delivers it
    in_shape: list[int] | None = None      # the shape reaching the current node
    extra: dict[str, Any] = field(default_factory=dict)


class NodeType:
    """Base for node types. Subclasses set `category` and `params`, and override what applies."""

    name: ClassVar[str] = ""
    category: ClassVar[str] = ""
    params: ClassVar[dict[str, Param]] = {}

    @property
    def description(self) -> str:
        return (self.__doc__ or "").strip().split("\n")[0]

    def cache_stamp(self, params: dict[str, Any]) -> Any:
        """What this node's analysis depends on besides its parameters (who asks, files on disk), for the
        caches every session of an app process shares (compiler.partial); None when nothing else."""
        return None

    # -- validation ---------------------------------------------------------------------------------
    def resolve(self, raw: dict[str, Any], node_id: str) -> tuple[dict[str, Any], list[tuple]]:
        """Fill defaults and check every value; returns (params, [(field, code, message), ...])."""
        problems, resolved = [], {}
        for key in raw:
            if key not in self.params:
                known = ", ".join(self.params) or "none"
                problems.append((key, "unknown_param",
                                 f"{self.name} has no parameter '{key}' (known: {known})"))
        for key, decl in self.params.items():
            where = f"{self.name}.{key}"
            if key in raw:
                try:
                    resolved[key] = decl.check(raw[key], where)
                except ParamError as err:
                    problems.append((key, err.code, err.message))
            elif decl.required:
                problems.append((key, "missing", f"{where} is required"))
            else:
                resolved[key] = decl.default
        if not problems:
            problems.extend(self.check(resolved))
        return resolved, problems

    def check(self, params: dict[str, Any]) -> list[tuple]:
        """Cross-field checks, after each value passed its own; returns [(field, code, message)], or
        (field, code, message, detail) when the fix involves a server path or a command (for the instructor)."""
        return []

    # -- shapes and code ----------------------------------------------------------------------------
    def infer_shape(self, params: dict[str, Any], in_shape: list[int], ctx: Context) -> list[int]:
        """The shape after this node (channels first, no batch); raise ShapeError when it cannot take in_shape."""
        return list(in_shape)

    def code(self, params: dict[str, Any], ctx: Context) -> str:
        """A Python expression that builds this node in the generated script."""
        raise NotImplementedError(self.name)

    # -- merge nodes (version 2): several inputs joined into one tensor --------------------------------
    merge: ClassVar[bool] = False  # True for Add and Concat: two or more ordered inputs, no weights

    def merge_shape(self, params: dict[str, Any], inputs: list[tuple[str, list[int]]], ctx: Context) -> list[int]:
        """The shape after joining `inputs` ((source id, shape) in input order); ShapeError naming each
        input's shape when they cannot be joined. Only merge nodes override it."""
        raise NotImplementedError(self.name)

    def merge_code(self, params: dict[str, Any], names: list[str]) -> str:
        """The expression in the generated `forward` that joins the tensors called `names`, in order."""
        raise NotImplementedError(self.name)

    # -- optional hooks: declared here with the answer most node types give, overridden where it differs --
    imports: ClassVar[tuple[str, ...]] = ()  # extra import lines the generated script needs for this node

    def count_parameters(self, params: dict[str, Any], in_shape: list[int], out_shape: list[int]) -> tuple[int, int]:
        """(all parameters, trainable ones) the node adds to the model; only nodes with weights override."""
        return 0, 0

    def summary_rows(self, params: dict[str, Any], in_shape: list[int]) -> list[dict] | None:
        """Rows of its own for the model summary (a backbone gives one per block); None: the one row that
        count_parameters fills."""
        return None

    def caches_features(self, params: dict[str, Any]) -> bool:
        """Whether its output is the same every epoch, so it can be computed once (a frozen backbone)."""
        return False

    def inputs_doc(self) -> str:
        """How many inputs the node takes, for `nodes --json` and the docs."""
        if self.merge:
            return "2 or more, in order (the edge's `input`)"
        return "none" if self.category == "dataset" else "1"

    def to_doc(self) -> dict:
        return {"type": self.name, "category": self.category, "group": PALETTE_GROUPS[self.category],
                "description": self.description, "inputs": self.inputs_doc(),
                "params": {k: p.to_doc() for k, p in self.params.items()}}


_REGISTRY: dict[str, NodeType] = {}


def register(cls: type[NodeType]) -> type[NodeType]:
    """Class decorator: register a node type under its class name (or `name` if it sets one)."""
    if not cls.name:
        cls.name = cls.__name__
    if cls.category not in CATEGORIES:
        raise ValueError(f"{cls.name}: unknown category {cls.category!r}")
    if cls.name in _REGISTRY:
        raise ValueError(f"node type {cls.name} registered twice")
    _REGISTRY[cls.name] = cls()
    return cls


def _load_builtin_nodes() -> None:
    from .. import nodes
    for info in pkgutil.walk_packages(nodes.__path__, nodes.__name__ + "."):
        importlib.import_module(info.name)


_BUILTINS_LOADED = False


def node_types() -> dict[str, NodeType]:
    # A flag, not "is the registry empty": importing one node module directly (the dataset store imports
    # image_folder) registers that type alone, and the other built-ins must still be loaded.
    global _BUILTINS_LOADED
    if not _BUILTINS_LOADED:
        _load_builtin_nodes()
        _BUILTINS_LOADED = True
    return _REGISTRY


def get(name: str) -> NodeType | None:
    return node_types().get(name)


def kwargs_code(params: dict[str, Any], names=None) -> str:
    """`a=1, b='x'` for the given params, in declaration order; tuples for lists (Paddle's style)."""
    names = names if names is not None else params.keys()
    return ", ".join(f"{k}={literal(params[k])}" for k in names)


def literal(value: Any) -> str:
    """Python source for a parameter value; lists become tuples, as Paddle's APIs expect."""
    if isinstance(value, list):
        return "(" + ", ".join(literal(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return repr(value)

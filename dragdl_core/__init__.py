"""DragDL's core: graph schema, node registry, validation, shape inference and code generation.

This package is pure - it imports no Paddle, Streamlit, Redis or RQ - so the web app can call it on every
keystroke. Paddle lives in `dragdl_core.runtime`; RQ and Redis in `dragdl_core.tasks`."""

__version__ = "0.1.0"

_LAZY = {  # public name -> the module (below this package) that defines it
    "analyze": "compiler.validate",
    "validate": "compiler.validate",
    "infer_shapes": "compiler.validate",
    "load_graph": "compiler.graph",
    "read_graph_file": "compiler.graph",
    "Graph": "compiler.graph",
    "compile_graph": "compiler.codegen",
}


def __getattr__(name):
    """`dragdl_core.analyze(...)` and friends, imported on first use to keep `import dragdl_core` instant."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

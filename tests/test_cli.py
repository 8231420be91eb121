"""The command line as a user meets it: exit codes, one clear line for mistakes, no tracebacks."""
import json
import subprocess
import sys

import pytest

from conftest import EXAMPLES, ROOT, tiny_digits_graph


def cli(*args, env):
    return subprocess.run([sys.executable, "-m", "dragdl_core", *map(str, args)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_validate_a_good_graph(python_env):
    out = cli("validate", EXAMPLES / "digits-cnn.json", env=python_env)
    assert out.returncode == 0 and "head [10]" in out.stdout


def test_validate_json_lists_every_error(python_env, tmp_path):
    graph = tiny_digits_graph()
    graph["nodes"][1]["params"]["size"] = 0
    graph["nodes"][-1]["params"]["learning_rate"] = -1
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(graph))
    out = cli("validate", path, "--json", env=python_env)
    assert out.returncode == 2
    errors = json.loads(out.stdout)
    assert [(e["node"], e["field"]) for e in errors] == [("resize", "size"), ("train", "learning_rate")]


@pytest.mark.parametrize("content, message", [
    (None, "no such graph file"),
    ("{oops", "not valid JSON (line 1, column 2)"),
    ("[1, 2]", "not a DragDL graph"),
    (b"\xff\xfe\x00", "cannot read"),
])
def test_a_bad_file_gives_one_line_and_no_traceback(python_env, tmp_path, content, message):
    path = tmp_path / "graph.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    for command in ("validate", "compile", "run"):
        extra = ["--run-dir", tmp_path / "run"] if command == "run" else []
        out = cli(command, path, *extra, env=python_env)
        assert out.returncode == 2
        assert out.stderr.strip().count("\n") == 0 and message in out.stderr, out.stderr
        assert not (tmp_path / "run").exists()


def test_compile_writes_a_script_that_python_accepts(python_env, tmp_path):
    target = tmp_path / "train.py"
    out = cli("compile", EXAMPLES / "shapes-augment.json", "-o", target, env=python_env)
    assert out.returncode == 0
    source = target.read_text()
    compile(source, str(target), "exec")
    assert "def build_model(num_classes):" in source and "T.RandomAffine(" in source
    assert "SafeLambda('clip(x + 0.05 * sin(40 * x), 0, 1)')" in source


def test_compile_refuses_an_invalid_graph_naming_the_node(python_env, tmp_path):
    graph = tiny_digits_graph()
    graph["nodes"][3]["params"]["kernel_size"] = 99
    path = tmp_path / "g.json"
    path.write_text(json.dumps(graph))
    out = cli("compile", path, env=python_env)
    assert out.returncode == 2 and out.stderr.startswith("conv1.kernel_size: Conv2D.kernel_size must be 1..31")
    assert out.stdout == ""


def test_nodes_lists_every_parameter_with_its_description(python_env):
    out = cli("nodes", "--json", env=python_env)
    docs = {d["type"]: d for d in json.loads(out.stdout)}
    assert docs["Resize"]["params"]["size"]["bounds"] == "each 1..4096"
    assert docs["Trainer"]["params"]["optimizer"]["default"] == "adam"


@pytest.mark.slow
def test_run_trains_in_the_foreground_and_refuses_a_different_graph_in_the_same_dir(python_env, tmp_path):
    graph_path = tmp_path / "g.json"
    graph_path.write_text(json.dumps(tiny_digits_graph(epochs=1)))
    run_dir = tmp_path / "run"
    out = cli("run", graph_path, "--run-dir", run_dir, env=python_env)
    assert out.returncode == 0, out.stderr
    assert {"graph.json", "train.py", "metrics.jsonl", "report.json", "log.txt"} <= {
        p.name for p in run_dir.iterdir()}
    assert (run_dir / "model" / "meta.json").exists()
    other = tiny_digits_graph(epochs=2)
    graph_path.write_text(json.dumps(other))
    out = cli("run", graph_path, "--run-dir", run_dir, env=python_env)
    assert out.returncode == 2 and "already holds a different graph.json" in out.stderr

"""Lambda checks by value and the trial in a sandbox child: the hostile expressions an attack run found are
refused with an error on the node, the calling process neither stalls nor grows, and the CLI exits 2."""
import json
import os
import subprocess
import sys
import time

import psutil
import pytest

from conftest import ROOT, example
from dragdl_core.compiler import validate as v
from dragdl_core.compiler.safe_expr import SafeExpression, ExpressionError

HOSTILE = {
    # each exponent <= 64, but the integer has 16 million digits: built while holding the interpreter lock
    "power_tower": ("x + 0*((((9**64)**64)**64)**64)", 32, "256 bits"),
    # on a grey image, broadcasts (768, 768, 1) against (1, 768, 768): 1.7 GB
    "memory": ("mean(x, axis=2, keepdims=True) * transpose(mean(x, axis=2, keepdims=True))", 768,
               "needs more than 1 GB"),
    # 0/0 on every pixel: trains to garbage
    "not_finite": ("x/(x-x)", 32, "inf or NaN"),
}


def lambda_graph(expression: str, size: int = 32, count: int = 1) -> dict:
    graph = example("shapes-augment.json")
    for node in graph["nodes"]:
        if node["id"] == "resize":
            node["params"]["size"] = [size, size]
    lambdas = [n for n in graph["nodes"] if n["id"] == "noise"]
    lambdas[0]["params"] = {"expression": expression, "apply": "all"}
    if count > 1:  # more Lambdas after the first one
        at = graph["nodes"].index(lambdas[0])
        extra = [{"id": f"slow{i}", "type": "Lambda",  # each one different: trials are remembered
                  "params": {"expression": f"{expression} * {1 + i / 1000}", "apply": "all"}}
                 for i in range(1, count)]
        graph["nodes"][at + 1:at + 1] = extra
        chain = ["noise"] + [n["id"] for n in extra]
        graph["edges"] = [e for e in graph["edges"] if e["source"] != "noise"]
        graph["edges"] += [{"source": a, "target": b} for a, b in zip(chain, chain[1:])]
        graph["edges"].append({"source": chain[-1], "target": "norm"})
    return graph


def test_a_power_tower_is_refused_by_its_size_before_anything_runs():
    with pytest.raises(ExpressionError, match="256 bits"):
        SafeExpression("x + 0*((((9**64)**64)**64)**64)")
    with pytest.raises(ExpressionError, match="bits"):
        SafeExpression("x * (2**64 * 2**64 * 2**64 * 2**64 * 2**64)")
    with pytest.raises(ExpressionError, match="shifts"):
        SafeExpression("x * (1 << 64)")
    SafeExpression("x * 2**8 + 1e300**2 * 0")  # small integers and floats stay allowed


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_lambdas_are_an_error_on_the_node_and_the_validator_does_not_grow(case):
    expression, size, message = HOSTILE[case]
    before = psutil.Process().memory_info().rss
    errors = v.validate(lambda_graph(expression, size))
    grown = psutil.Process().memory_info().rss - before
    assert [(e["node"], e["field"]) for e in errors] == [("noise", "expression")], errors
    assert message in errors[0]["message"]
    assert grown < 100 * (1 << 20), f"the validating process grew by {grown >> 20} MB"


def test_the_hostile_graphs_exit_2_on_the_command_line_without_a_traceback(tmp_path, python_env):
    for case, (expression, size, message) in HOSTILE.items():
        path = tmp_path / f"{case}.json"
        path.write_text(json.dumps(lambda_graph(expression, size)))
        out = subprocess.run([sys.executable, "-m", "dragdl_core", "validate", str(path)], cwd=ROOT,
                             env=python_env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 2, (case, out.stderr)
        assert out.stderr.startswith("noise.expression: ") and message in out.stderr, out.stderr
        assert "Traceback" not in out.stderr


# 48 element-wise passes over a 4096 x 4096 x 3 image: over 2 billion operations, several seconds on any CPU
# numpy's SIMD sin/cos runs on (12 passes finished within 1 s on an idle machine)
SLOW = "sin(cos(" * 24 + "x" + "))" * 24


def test_a_slow_lambda_is_stopped_and_its_child_killed():
    from dragdl_core.sandbox import pool

    v.validate(lambda_graph("x * 0.5", 64))  # the pool is up ...
    numpy_pool = pool._pool("numpy")
    deadline = time.monotonic() + 60
    while numpy_pool.starting and time.monotonic() < deadline:  # ... and no child is still starting
        time.sleep(0.1)
    before = {c.process.pid for c in numpy_pool.idle}
    errors = v.validate(lambda_graph(SLOW, 4096))  # seconds of work: it cannot finish within 1 s
    assert [(e["node"], e["field"]) for e in errors] == [("noise", "expression")], errors
    assert "took longer than 1 s" in errors[0]["message"]
    # the child that ran it is gone (killed, not abandoned); what is left are fresh idle children
    gone = [pid for pid in before if not psutil.pid_exists(pid)]
    assert len(gone) == 1, (before, gone, {c.process.pid for c in numpy_pool.idle}, errors)
    assert all(c.alive() for c in pool._pool("numpy").idle)
    children = psutil.Process().children(recursive=True)
    busy = [c for c in children if c.status() == psutil.STATUS_RUNNING and c.cpu_percent(0.2) > 50]
    assert not busy, busy


def test_many_slow_lambdas_share_one_time_budget(monkeypatch):
    from dragdl_core.compiler import safe_expr

    # a budget far below twenty trials' cost whatever the machine (each trial alone is tens of ms or more)
    monkeypatch.setattr(v, "TIME_BUDGET_S", 0.2)
    graph = lambda_graph("sin(cos(sin(cos(x))))", 2048, count=20)  # each well under 1 s, twenty are not
    errors = v.validate(graph)
    (error,) = errors
    lambdas = {n["id"]: n["params"]["expression"] for n in graph["nodes"] if n["type"] == "Lambda"}
    assert error["node"] in lambdas, errors
    # the budget ends the walk: at a node it does not start, or by cutting the trial running when it ran out
    assert ("after 0.2 s for the whole graph" in error["message"]
            or "the whole graph's time budget ran out during this Lambda" in error["message"]), error
    tried = [text for text in lambdas.values() if any(key[0] == text for key in safe_expr._trials)]
    assert len(tried) < 20


def test_the_trial_child_imports_no_paddle_and_the_pure_core_stays_pure(python_env):
    code = (
        "import sys, json\nfrom dragdl_core.compiler.validate import analyze\n"
        "r = analyze(json.load(open('examples/shapes-augment.json')))\nassert r.ok, r.errors\n"
        "from dragdl_core.sandbox import pool\n"
        "kids = [c.process.pid for c in pool._pool('numpy').idle]\n"
        "print(json.dumps([kids, [m for m in ('paddle', 'streamlit') if m in sys.modules]]))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=python_env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    kids, heavy = json.loads(out.stdout)
    assert heavy == [] and kids, out.stdout


def test_a_sandbox_that_cannot_start_says_so_at_once(monkeypatch):
    from dragdl_core.sandbox import SandboxError, pool

    monkeypatch.setitem(pool.KINDS, "missing", (0, 1, 100))  # no such kind in the child: it exits at start
    with pytest.raises(SandboxError, match="the missing sandbox could not start"):
        pool.run("missing", "dragdl_core.compiler.safe_expr:trial_in_child", ("x", (2, 2, 1)))

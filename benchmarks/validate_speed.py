"""How fast the pure core answers: import time, and validation plus shape inference for small and huge graphs.
The canvas validates on every change, so this is the latency a student feels. Usage: python benchmarks/validate_speed.py"""
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def import_time() -> float:
    code = "import time; t = time.perf_counter(); import dragdl_core.compiler.validate, dragdl_core.compiler.codegen; " \
           "from dragdl_core.compiler import registry; registry.node_types(); print(time.perf_counter() - t)"
    runs = [float(subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                                 check=True).stdout) for _ in range(5)]
    return statistics.median(runs)


def chain_graph(relus: int) -> dict:
    graph = json.loads((ROOT / "examples" / "digits-cnn.json").read_text())
    extra = [{"id": f"r{i}", "type": "ReLU"} for i in range(relus)]
    graph["nodes"] = graph["nodes"][:-2] + extra + graph["nodes"][-2:]
    graph["edges"] = [e for e in graph["edges"] if e["target"] != "head"]
    path = ["pool2"] + [n["id"] for n in extra] + ["head"]
    graph["edges"] += [{"source": a, "target": b} for a, b in zip(path, path[1:])]
    return graph


def branching_graph(total: int) -> dict:
    """A version-2 graph of `total` nodes: digits-cnn with residual-style blocks (a fork into two ReLUs,
    joined by an Add) between pool2 and the head, padded with single ReLUs to the exact count."""
    graph = json.loads((ROOT / "examples" / "digits-cnn.json").read_text())
    graph["version"] = 2
    blocks, pad = divmod(total - len(graph["nodes"]), 3)
    nodes, edges, last = [], [], "pool2"
    for i in range(blocks):
        nodes += [{"id": f"a{i}", "type": "ReLU"}, {"id": f"b{i}", "type": "ReLU"}, {"id": f"m{i}", "type": "Add"}]
        edges += [{"source": last, "target": f"a{i}"}, {"source": last, "target": f"b{i}"},
                  {"source": f"a{i}", "target": f"m{i}", "input": 0}, {"source": f"b{i}", "target": f"m{i}", "input": 1}]
        last = f"m{i}"
    for i in range(pad):
        nodes.append({"id": f"p{i}", "type": "ReLU"})
        edges.append({"source": last, "target": f"p{i}"})
        last = f"p{i}"
    graph["nodes"] = graph["nodes"][:-2] + nodes + graph["nodes"][-2:]
    graph["edges"] = [e for e in graph["edges"] if e["target"] != "head"] + edges
    graph["edges"].append({"source": last, "target": "head"})
    return graph


def timed(graph: dict, cpu: list | None = None) -> float:
    """Median wall time of 5 runs; the fastest run's CPU time goes into `cpu` (steadier on a shared machine)."""
    from dragdl_core.compiler.validate import analyze

    times, cpus = [], []
    for _ in range(5):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = analyze(graph)
        times.append(time.perf_counter() - started)
        cpus.append(time.process_time() - started_cpu)
    assert result.ok, result.errors[:3]
    if cpu is not None:
        cpu.append(min(cpus))
    return statistics.median(times)


def main():
    from dragdl_core.compiler.codegen import compile_graph

    print(f"machine: {platform.machine()}, Python {platform.python_version()}\n")
    print("| measure | median |")
    print("|---|---|")
    print(f"| import the pure core (fresh process) | {import_time() * 1000:.0f} ms |")
    cpu = []
    for relus in (0, 1_000, 10_000):
        graph = chain_graph(relus)
        print(f"| validate + infer shapes, {len(graph['nodes'])} nodes | {timed(graph, cpu) * 1000:.1f} ms |")
    for total in (1_000, 10_000):
        graph = branching_graph(total)
        print(f"| validate + infer shapes, {total} nodes with branches (v2) | {timed(graph, cpu) * 1000:.1f} ms |")
    print(f"| CPU time (fastest run): 10,011-node chain / 10,000 nodes with branches | "
          f"{cpu[2] * 1000:.0f} / {cpu[4] * 1000:.0f} ms |")
    started = time.perf_counter()
    compile_graph(chain_graph(0))
    print(f"| compile digits-cnn to a script | {(time.perf_counter() - started) * 1000:.1f} ms |")


if __name__ == "__main__":
    main()

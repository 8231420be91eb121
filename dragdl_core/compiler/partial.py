"""Graphs still being built. Validation infers shapes only for a complete path, but a student wants to see
shapes, previews and the model summary while adding nodes: take the path from the dataset as far as it
goes (or up to a given node) and complete it with a stand-in head and trainer, which nobody sees."""
from __future__ import annotations

import json
from functools import lru_cache

from . import registry
from .graph import FORMAT, VERSION
from .validate import Analysis, analyze

STAND_IN_HEAD = "__stand_in_head__"
STAND_IN_TRAINER = "__stand_in_trainer__"


def path_from_dataset(graph: dict, upto: str | None = None) -> list[dict]:
    """The nodes from the single dataset along single edges, stopping at `upto` (inclusive), at a
    branch, or at the end; [] when there is not exactly one dataset or `upto` is not on the path."""
    nodes = {n["id"]: n for n in graph.get("nodes", [])}
    datasets = [n for n in nodes.values()
                if registry.get(n["type"]) is not None and registry.get(n["type"]).category == "dataset"]
    if len(datasets) != 1:
        return []
    succ: dict[str, list[str]] = {}
    for edge in graph.get("edges", []):
        succ.setdefault(edge["source"], []).append(edge["target"])
    path, current = [], datasets[0]["id"]
    while current in nodes and current not in {n["id"] for n in path}:
        path.append(nodes[current])
        if current == upto or len(succ.get(current, [])) != 1:
            break
        current = succ[current][0]
    if upto is not None and path[-1]["id"] != upto:
        return []
    return path


def completed(graph: dict, upto: str | None = None) -> dict | None:
    """The path (up to `upto`) as a graph of its own, with a stand-in ClassifierHead and Trainer appended
    as needed so it can be analysed and compiled; None when there is no such path."""
    path = path_from_dataset(graph, upto)
    if not path or any(registry.get(n["type"]) is None for n in path):
        return None
    nodes = [{"id": n["id"], "type": n["type"], "params": dict(n.get("params", {}))} for n in path]
    last = registry.get(path[-1]["type"]).category
    if last == "trainer" and upto is not None:
        return None
    if last not in ("head", "trainer"):
        nodes.append({"id": STAND_IN_HEAD, "type": "ClassifierHead", "params": {"hidden_units": 0}})
    if last != "trainer":
        nodes.append({"id": STAND_IN_TRAINER, "type": "Trainer", "params": {"epochs": 1}})
    edges = [{"source": a["id"], "target": b["id"]} for a, b in zip(nodes, nodes[1:])]
    return {"format": FORMAT, "version": VERSION, "name": graph.get("name", "untitled"), "nodes": nodes,
            "edges": edges}


def analyze_so_far(graph: dict, analysis: Analysis | None = None) -> Analysis:
    """The full graph's analysis when it has shapes; else the analysis of its completed path (shapes only
    for real nodes - its errors belong to the stand-ins or repeat the full graph's)."""
    analysis = analysis if analysis is not None else analyze(graph)
    if analysis.shapes:
        return analysis
    partial = completed(graph)
    if partial is None:
        return analysis
    result = analyze(partial)
    result.shapes = {k: v for k, v in result.shapes.items() if k not in (STAND_IN_HEAD, STAND_IN_TRAINER)}
    result.order = [n for n in result.order if n.id not in (STAND_IN_HEAD, STAND_IN_TRAINER)]
    return result


# -- the canvas's analyses, once per distinct graph ------------------------------------------------------
# The Build page reruns on every click; most reruns (a selection, a tab, another student's identical
# template) meet a graph already analysed. Keyed by the graph's content, shared by every session of the
# process: what these return is read-only for callers (copy before changing, as pages/build.py does).

def graph_key(graph: dict) -> tuple[str, tuple]:
    """(the graph's content, what its nodes' analyses depend on besides it: NodeType.cache_stamp)."""
    stamps = []
    for node in graph.get("nodes", []):
        node_type = registry.get(node.get("type")) if isinstance(node, dict) else None
        stamp = node_type.cache_stamp(node.get("params") or {}) if node_type is not None else None
        if stamp is not None:
            stamps.append((node.get("id"), stamp))
    return json.dumps(graph, sort_keys=True, separators=(",", ":"), default=str), tuple(stamps)


@lru_cache(maxsize=512)
def _analyses(content: str, _stamps: tuple) -> tuple[Analysis, Analysis]:
    analysis = analyze(json.loads(content))
    return analysis, analyze_so_far(json.loads(content), analysis)


def analyses(graph: dict) -> tuple[Analysis, Analysis]:
    """(the full graph's analysis, `analyze_so_far`'s) for the canvas, computed once per distinct graph."""
    return _analyses(*graph_key(graph))


@lru_cache(maxsize=256)
def _summary(content: str, stamps: tuple) -> dict:
    from .summary import summarize

    return summarize(_analyses(content, stamps)[1])


def model_summary(graph: dict) -> dict:
    """`summary.summarize` of the graph's shapes so far (the panel's model summary), once per distinct graph."""
    return _summary(*graph_key(graph))

"""Validation and shape inference: every problem at once, each addressed to a node and a field.

`analyze(graph)` is what the canvas calls on every change and what `submit` and the compiler trust:
it checks structure, parameters and the version-1 path, then infers the tensor shape after every node."""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from . import registry
from .graph import Graph, GraphError, Node, load_graph
from .registry import Context, ShapeError

ORDER_HELP = "dataset -> transforms -> (Backbone | layers) -> ClassifierHead -> Trainer"
TIME_BUDGET_S = 3.0  # shape inference of one graph, Lambda trials included: twenty slow Lambdas stop here


@dataclass
class Analysis:
    graph: Graph
    errors: list[dict] = field(default_factory=list)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)  # resolved, defaults filled
    order: list[Node] = field(default_factory=list)                  # path order when the structure is sound
    shapes: dict[str, list[int]] = field(default_factory=dict)
    context: Context = field(default_factory=Context)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, node: str | None, field_: str | None, code: str, message: str,
              detail: str | None = None) -> None:
        """`detail`, when given, is for the instructor (a server path, a command): the app shows it on request."""
        self.errors.append({"node": node, "field": field_, "code": code, "message": message})
        if detail:
            self.errors[-1]["detail"] = detail

    def node_errors(self, node_id: str) -> list[dict]:
        return [e for e in self.errors if e["node"] == node_id]


def analyze(source: Graph | dict | str) -> Analysis:
    """Validate a graph and infer its shapes. A document that is not a graph gives one graph-wide error."""
    if not isinstance(source, Graph):
        try:
            source = load_graph(source)
        except GraphError as err:
            result = Analysis(graph=Graph())
            result.error(None, None, "not_a_graph", str(err))
            return result
    result = Analysis(graph=source)
    types = _check_nodes(result)
    structure_ok = _check_structure(result, types)
    if structure_ok:
        _infer_shapes(result, types)
    return result


def validate(source) -> list[dict]:
    """Every problem in the graph, as `{"node", "field", "code", "message"}` dicts; empty when valid."""
    return analyze(source).errors


def infer_shapes(source) -> dict[str, list[int]]:
    """The shape after every node on the path; raises ValueError with the errors when the graph is invalid."""
    result = analyze(source)
    if result.errors:
        raise ValueError("; ".join(e["message"] for e in result.errors))
    return result.shapes


def _check_nodes(result: Analysis) -> dict[str, registry.NodeType]:
    types, seen = {}, set()
    for node in result.graph.nodes:
        if node.id in seen:
            result.error(node.id, "id", "duplicate_id", f"two nodes have the id '{node.id}'")
            continue
        seen.add(node.id)
        node_type = registry.get(node.type)
        if node_type is None:
            result.error(node.id, "type", "unknown_type",
                         f"unknown node type '{node.type}' (see `python -m dragdl_core nodes`)")
            continue
        types[node.id] = node_type
        params, problems = node_type.resolve(node.params, node.id)
        result.params[node.id] = params
        for field_, code, message in problems:
            result.error(node.id, field_, code, message)
    return types


def _check_structure(result: Analysis, types: dict) -> bool:
    """Edges, counts, cycles and the single path; returns True when the path could be ordered."""
    graph = result.graph
    ids = {n.id for n in graph.nodes}
    succ, pred = defaultdict(list), defaultdict(list)
    seen_edges = set()
    for edge in graph.edges:
        missing = [end for end in (edge.source, edge.target) if end not in ids]
        if missing:
            present = next((end for end in (edge.source, edge.target) if end in ids), None)
            result.error(present, "edges", "missing_node",
                         f"edge {edge.source} -> {edge.target} points to no node '{missing[0]}'")
            continue
        if (edge.source, edge.target) in seen_edges:
            result.error(edge.source, "edges", "duplicate_edge", f"edge {edge.source} -> {edge.target} is given twice")
            continue
        seen_edges.add((edge.source, edge.target))
        succ[edge.source].append(edge.target)
        pred[edge.target].append(edge.source)

    sound = True
    for node_id in ids:
        if len(succ[node_id]) > 1:
            sound = False
            result.error(node_id, "edges", "branch",
                         f"'{node_id}' feeds {len(succ[node_id])} nodes ({', '.join(succ[node_id])}); "
                         "a version-1 graph is one path")
        if len(pred[node_id]) > 1:
            sound = False
            result.error(node_id, "edges", "merge",
                         f"'{node_id}' has {len(pred[node_id])} inputs ({', '.join(pred[node_id])}); "
                         "a version-1 graph is one path")

    cycle = _find_cycle(ids, succ)
    if cycle:
        sound = False
        result.error(cycle[0], "edges", "cycle", "cycle: " + " -> ".join(cycle + [cycle[0]]))

    by_cat = defaultdict(list)
    for node in graph.nodes:
        if node.id in types:
            by_cat[types[node.id].category].append(node.id)
    for category, label in (("dataset", "dataset"), ("trainer", "Trainer")):
        found = by_cat[category]
        if not found and not (result.errors and len(types) < len(ids)):
            result.error(None, None, f"no_{category}", f"the graph has no {label} node; every graph needs exactly one")
        for extra in found[1:]:
            result.error(extra, "type", f"two_{category}s",
                         f"'{extra}' is a second {label} (the first is '{found[0]}'); a graph has exactly one")
    if not sound or len(by_cat["dataset"]) != 1 or len(by_cat["trainer"]) != 1 or len(types) < len(ids):
        return False

    start = by_cat["dataset"][0]
    if pred[start]:
        result.error(start, "edges", "dataset_has_input", f"dataset '{start}' must be the first node, but "
                     f"'{pred[start][0]}' feeds it")
        return False
    order, current = [], start
    while True:
        order.append(current)
        if not succ[current]:
            break
        current = succ[current][0]
    on_path = set(order)
    trainer = by_cat["trainer"][0]
    for node in graph.nodes:
        if node.id == trainer and node.id not in on_path:
            result.error(node.id, "edges", "off_path",
                         f"nothing leads to the Trainer '{trainer}' yet; connect '{order[-1]}' to it")
        elif node.id not in on_path:
            result.error(node.id, "edges", "off_path",
                         f"'{node.id}' is not on the path from '{start}' to the Trainer; connect it or delete it")
    if order[-1] != trainer:
        result.error(order[-1], "edges", "not_connected",
                     f"the path from '{start}' stops at '{order[-1]}'; connect it on to the Trainer '{trainer}'")
        return False
    by_id = {n.id: n for n in graph.nodes}
    result.order = [by_id[i] for i in order]
    _check_order(result, result.order, types)
    return True


def _find_cycle(ids: set, succ: dict) -> list[str]:
    """One cycle as a list of ids, or [] (iterative DFS: a 10,000-node chain must not hit recursion limits)."""
    state = {}
    for root in sorted(ids):
        if root in state:
            continue
        stack = [(root, iter(succ[root]))]
        state[root] = "open"
        path = [root]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = "done"
                stack.pop()
                path.pop()
            elif state.get(child) == "open":
                return path[path.index(child):]
            elif child not in state:
                state[child] = "open"
                stack.append((child, iter(succ[child])))
                path.append(child)
    return []


def _check_order(result: Analysis, order: list[Node], types: dict) -> None:
    """The categories along the path must read dataset, transforms, (Backbone | layers), head, Trainer."""
    rank = {"dataset": 0, "transform": 1, "layer": 2, "backbone": 2, "head": 3, "trainer": 4}
    last = 0
    seen_model = None
    for node in order:
        category = types[node.id].category
        if rank[category] < last:
            result.error(node.id, "edges", "out_of_order",
                         f"{node.type} '{node.id}' is a {category} and cannot come after a later stage; "
                         f"the order is {ORDER_HELP}")
        last = max(last, rank[category])
        if category in ("layer", "backbone"):
            if seen_model and (category == "backbone" or seen_model == "backbone"):
                result.error(node.id, "edges", "backbone_and_layers",
                             f"'{node.id}': use either one Backbone or layers between the transforms and the head")
            seen_model = seen_model or category
    heads = [n for n in order if types[n.id].category == "head"]
    if not heads:
        result.error(order[-1].id, "edges", "no_head",
                     f"put a ClassifierHead before the Trainer '{order[-1].id}'; the order is {ORDER_HELP}")
    for extra in heads[1:]:
        result.error(extra.id, "type", "two_heads", f"'{extra.id}' is a second head; a graph has exactly one")


def _infer_shapes(result: Analysis, types: dict) -> None:
    """Walk the path; stop at the first node whose params or input are wrong (nothing after it is known)."""
    dataset = result.order[0]
    broken = {e["node"] for e in result.errors}
    if dataset.id in broken:
        return
    ds_type, ds_params = types[dataset.id], result.params[dataset.id]
    ctx = result.context
    try:
        ctx.image_shape = ds_type.image_shape(ds_params)
        ctx.num_classes = ds_type.num_classes(ds_params)
    except ShapeError as err:
        result.error(dataset.id, err.field, "dataset_unavailable", err.message, err.detail)
        return
    shape = list(ctx.image_shape)
    result.shapes[dataset.id] = shape
    deadline = ctx.extra["deadline"] = time.monotonic() + TIME_BUDGET_S
    for node in result.order[1:]:
        if node.id in broken:
            return
        if time.monotonic() >= deadline:
            result.error(node.id, None, "time_budget", f"{node.type} '{node.id}': validation stopped here, after "
                         f"{TIME_BUDGET_S:g} s for the whole graph; make the Lambdas before it cheaper")
            return
        ctx.in_shape = shape
        ctx.extra["current_node"] = node.id
        try:
            shape = types[node.id].infer_shape(result.params[node.id], shape, ctx)
        except ShapeError as err:
            result.error(node.id, err.field, "bad_shape", f"{node.type} '{node.id}': {err.message}")
            return
        result.shapes[node.id] = list(shape)

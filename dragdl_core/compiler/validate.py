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
    order: list[Node] = field(default_factory=list)                  # topological order when the structure is sound
    inputs: dict[str, list[str]] = field(default_factory=dict)       # node id -> its input ids, in input order
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


def without_detail(errors: list[dict]) -> list[dict]:
    """The errors as a student sees them: the instructor's `detail` (server paths, commands) left out."""
    return [{key: value for key, value in e.items() if key != "detail"} for e in errors]


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
    check = _check_structure if source.version == 1 else _check_structure_v2
    structure_ok = check(result, types)
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
                         f"unknown node type '{node.type}': replace it with one from the palette",
                         "`python -m dragdl_core nodes` lists the node types")
            continue
        types[node.id] = node_type
        params, problems = node_type.resolve(node.params, node.id)
        result.params[node.id] = params
        for field_, code, message, *detail in problems:  # a check may add a detail for the instructor
            result.error(node.id, field_, code, message, *detail)
    return types


def _sound_edges(result: Analysis, ids: set):
    """The graph's edges whose two ends exist, each pair once; an error on the node for every other edge."""
    seen = set()
    for edge in result.graph.edges:
        missing = [end for end in (edge.source, edge.target) if end not in ids]
        if missing:
            present = next((end for end in (edge.source, edge.target) if end in ids), None)
            result.error(present, "edges", "missing_node",
                         f"edge {edge.source} -> {edge.target} points to no node '{missing[0]}'")
        elif (edge.source, edge.target) in seen:
            result.error(edge.source, "edges", "duplicate_edge", f"edge {edge.source} -> {edge.target} is given twice")
        else:
            seen.add((edge.source, edge.target))
            yield edge


def _check_structure(result: Analysis, types: dict) -> bool:
    """Edges, counts, cycles and the single path; returns True when the path could be ordered."""
    graph = result.graph
    ids = {n.id for n in graph.nodes}
    succ, pred = defaultdict(list), defaultdict(list)
    for edge in _sound_edges(result, ids):
        succ[edge.source].append(edge.target)
        pred[edge.target].append(edge.source)
        if edge.input is not None:
            result.error(edge.target, "input", "input_needs_version_2",
                         f"edge {edge.source} -> {edge.target} has an `input`; ordered inputs need a "
                         "version 2 graph (\"version\": 2)")

    sound = True
    for node_id, node_type in types.items():
        if node_type.merge:
            sound = False
            result.error(node_id, "type", "merge_needs_version_2",
                         f"{node_type.name} '{node_id}' joins branches; branches need a version 2 graph "
                         "(\"version\": 2)")
    for node_id in dict.fromkeys(n.id for n in graph.nodes):  # graph order: the same list on every run
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

    by_cat = _count_ends(result, types, ids)
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
    result.inputs = {b: [a] for a, b in zip(order, order[1:])}
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


RANK = {"dataset": 0, "transform": 1, "layer": 2, "backbone": 2, "head": 3, "trainer": 4}


def _check_order(result: Analysis, order: list[Node], types: dict) -> None:
    """The categories along every path must read dataset, transforms, (Backbone | layers), head, Trainer."""
    rank = RANK
    seen_model = None
    for node in order:
        category = types[node.id].category
        last = max((rank[types[i].category] for i in result.inputs.get(node.id, ())), default=0)
        if rank[category] < last:
            result.error(node.id, "edges", "out_of_order",
                         f"{node.type} '{node.id}' is a {category} and cannot come after a later stage; "
                         f"the order is {ORDER_HELP}")
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
    result.shapes[dataset.id] = list(ctx.image_shape)
    deadline = ctx.extra["deadline"] = time.monotonic() + TIME_BUDGET_S
    for node in result.order[1:]:
        sources = result.inputs[node.id]
        if node.id in broken or any(i not in result.shapes for i in sources):
            continue  # nothing after a broken node is known; other branches still are
        if time.monotonic() >= deadline:
            result.error(node.id, None, "time_budget", f"{node.type} '{node.id}': validation stopped here, after "
                         f"{TIME_BUDGET_S:g} s for the whole graph; make the Lambdas before it cheaper")
            return
        node_type, params = types[node.id], result.params[node.id]
        ctx.in_shape = result.shapes[sources[0]]
        ctx.extra["current_node"] = node.id
        try:
            if node_type.merge:
                shape = node_type.merge_shape(params, [(i, result.shapes[i]) for i in sources], ctx)
            else:
                shape = node_type.infer_shape(params, ctx.in_shape, ctx)
        except ShapeError as err:
            result.error(node.id, err.field, "bad_shape", f"{node.type} '{node.id}': {err.message}")
            continue
        result.shapes[node.id] = list(shape)


def _check_structure_v2(result: Analysis, types: dict) -> bool:
    """Version 2: the dataset and transforms form one chain, the model part may fork and join again at
    Add/Concat (ordered inputs), and every node lies on a path from the dataset to the Trainer. Returns
    True when the graph could be put in topological order (`result.order`, `result.inputs`)."""
    graph = result.graph
    ids = {n.id for n in graph.nodes}
    succ, in_edges = defaultdict(list), defaultdict(list)
    for edge in _sound_edges(result, ids):
        succ[edge.source].append(edge.target)
        in_edges[edge.target].append(edge)

    sound = True
    for node in graph.nodes:
        node_type, edges, outs = types.get(node.id), in_edges[node.id], succ[node.id]
        if node_type is None:
            continue
        if len(outs) < 2 and not node_type.merge and (not edges or (len(edges) == 1 and edges[0].input is None)):
            continue  # the common case, a link in a chain: nothing to check (keeps 10,000 nodes fast)
        sources = [e.source for e in edges]
        if node_type.merge:
            if len(edges) < 2:
                sound = False
                got = f"1 (from '{sources[0]}')" if sources else "none"
                result.error(node.id, "edges", "merge_one_input",
                             f"{node.type} '{node.id}' joins two or more inputs, got {got}; connect another branch to it")
            taken = {}
            for e in edges:
                if e.input is None:
                    continue
                if e.input in taken:
                    sound = False
                    result.error(node.id, "input", "duplicate_input",
                                 f"{node.type} '{node.id}': '{taken[e.input]}' and '{e.source}' both come in as "
                                 f"input {e.input}; give each edge its own input number")
                taken.setdefault(e.input, e.source)
        else:
            for e in edges:
                if e.input is not None:
                    sound = False
                    result.error(node.id, "input", "input_not_merge",
                                 f"edge {e.source} -> {node.id} has input {e.input}, but {node.type} '{node.id}' "
                                 "takes one input; only Add and Concat have numbered inputs")
            if len(edges) > 1:
                sound = False
                result.error(node.id, "edges", "merge",
                             f"'{node.id}' has {len(edges)} inputs ({', '.join(sources)}); {node.type} takes one: "
                             "join the branches with an Add or Concat node first")
        if len(outs) > 1 and node_type.category not in ("layer", "backbone"):
            sound = False
            where = ("the dataset and transforms form one chain; branches start after the last transform"
                     if node_type.category in ("dataset", "transform") else "exactly one path reaches the Trainer")
            result.error(node.id, "edges", "fork_in_transforms" if node_type.category in ("dataset", "transform")
                         else "branch", f"'{node.id}' feeds {len(outs)} nodes ({', '.join(outs)}); {where}")

    cycle = [] if _acyclic(ids, succ, in_edges) else _find_cycle(ids, succ)  # the search only to name it
    if cycle:
        sound = False
        result.error(cycle[0], "edges", "cycle", "cycle: " + " -> ".join(cycle + [cycle[0]]))

    by_cat = _count_ends(result, types, ids)
    if not sound or len(by_cat["dataset"]) != 1 or len(types) < len(ids):
        return False
    start = by_cat["dataset"][0]
    if in_edges[start]:
        result.error(start, "edges", "dataset_has_input", f"dataset '{start}' must be the first node, but "
                     f"'{in_edges[start][0].source}' feeds it")
        return False

    reached = _reach(start, succ)
    pred = {i: [e.source for e in in_edges[i]] for i in ids}
    by_id = {n.id: n for n in graph.nodes}
    # The order and inputs of what the dataset reaches, even while the graph is unfinished (no head yet, a
    # branch not joined): shape inference then shows shapes on every node of every branch built so far.
    result.order = [by_id[i] for i in _topological(start, succ, {i: [p for p in pred[i] if p in reached]
                                                                 for i in reached})]
    result.inputs = {}
    for node_id, edges in in_edges.items():  # numbered inputs first, by number; the rest in edge order
        numbered = sorted((e for e in edges if e.input is not None), key=lambda e: e.input)
        result.inputs[node_id] = [e.source for e in numbered] + [e.source for e in edges if e.input is None]
    if len(by_cat["trainer"]) != 1:
        return True
    trainer = by_cat["trainer"][0]
    leads_on = _reach(trainer, pred)
    for node in graph.nodes:
        if node.id not in reached:
            if node.id == trainer:
                result.error(node.id, "edges", "off_path", f"nothing leads to the Trainer '{trainer}' yet; "
                             "connect the ClassifierHead to it")
            else:
                result.error(node.id, "edges", "off_path",
                             f"'{node.id}' is not on a path from '{start}'; connect it or delete it")
        elif node.id not in leads_on and not succ[node.id]:
            result.error(node.id, "edges", "dangling",
                         f"the branch ending at '{node.id}' leads nowhere; connect it to an Add or Concat "
                         f"(or on towards the Trainer '{trainer}'), or delete it")
    if len(reached) < len(ids) or len(leads_on) < len(ids):
        return True
    _check_order(result, result.order, types)  # says "no head" too, on the last node: the Trainer
    return True


def _count_ends(result: Analysis, types: dict, ids: set) -> dict[str, list[str]]:
    """Node ids by category; errors for a missing or second dataset or Trainer."""
    by_cat = defaultdict(list)
    for node in result.graph.nodes:
        if node.id in types:
            by_cat[types[node.id].category].append(node.id)
    for category, label in (("dataset", "dataset"), ("trainer", "Trainer")):
        found = by_cat[category]
        if not found and not (result.errors and len(types) < len(ids)):
            result.error(None, None, f"no_{category}", f"the graph has no {label} node; every graph needs exactly one")
        for extra in found[1:]:
            result.error(extra, "type", f"two_{category}s",
                         f"'{extra}' is a second {label} (the first is '{found[0]}'); a graph has exactly one")
    return by_cat


def _acyclic(ids: set, succ: dict, in_edges: dict) -> bool:
    """Kahn's count: every node can be taken once its inputs are (cheaper than searching for a cycle)."""
    waiting = {i: len(in_edges[i]) for i in ids}
    ready = [i for i, n in waiting.items() if n == 0]
    taken = 0
    while ready:
        taken += 1
        for nxt in succ.get(ready.pop(), ()):
            waiting[nxt] -= 1
            if waiting[nxt] == 0:
                ready.append(nxt)
    return taken == len(ids)


def _reach(start: str, links: dict) -> set[str]:
    seen, stack = {start}, [start]
    while stack:
        for nxt in links.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def _topological(start: str, succ: dict, pred: dict) -> list[str]:
    """Kahn's order, depth first (a stack), so one branch is written out before the next one starts."""
    waiting = {i: len(p) for i, p in pred.items()}
    order, stack = [], [start]
    while stack:
        node = stack.pop()
        order.append(node)
        for nxt in reversed(succ.get(node, ())):
            waiting[nxt] -= 1
            if waiting[nxt] == 0:
                stack.append(nxt)
    return order

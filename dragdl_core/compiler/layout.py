"""Top-to-bottom layout of a graph on the canvas. Pure: no Streamlit, no browser.

Works on any directed graph, not only the version-1 chain: layers by longest path (a node sits one row
below the lowest of its inputs, so a merge node such as `Add` or `Concat` lands below every branch), edges
that skip rows get invisible waypoints so a skip connection runs beside the branch rather than through it,
and a few up-and-down sweeps order each row by the mean column of its neighbours (the barycentre rule),
so branches stay side by side and re-join without crossing. A chain comes out as one straight column.
Nodes not connected to the main part (an unconnected Trainer, say) are laid out to its right with a gap
wide enough to drag an edge across, level with its last row. Edges that close a cycle (invalid, but a student may draw one) are
ignored for layering so the layout always finishes."""
from __future__ import annotations

from collections import defaultdict

NODE_WIDTH = 210          # as drawn by dragdl_core.compiler.canvas
COLUMN_GAP = 40           # between side-by-side nodes of one row
NODE_HEIGHT = 80         # a node's height when the caller does not say (two lines of label)
ROW_GAP = 25             # between the lowest node of one row and the next row
ROW_HEIGHT = NODE_HEIGHT + ROW_GAP
COMPONENT_GAP = 120       # between unconnected parts
ORIGIN = (40.0, 30.0)
SWEEPS = 4


def _components(ids: list[str], edges: list[tuple[str, str]]) -> list[list[str]]:
    """Weakly connected parts, each in node order; the largest first, then in order of appearance."""
    neighbours = defaultdict(set)
    for s, t in edges:
        neighbours[s].add(t)
        neighbours[t].add(s)
    seen, parts = set(), []
    for start in ids:
        if start in seen:
            continue
        part, stack = [], [start]
        seen.add(start)
        while stack:
            current = stack.pop()
            part.append(current)
            for other in neighbours[current]:
                if other not in seen:
                    seen.add(other)
                    stack.append(other)
        order = {node_id: i for i, node_id in enumerate(ids)}
        parts.append(sorted(part, key=order.__getitem__))
    return sorted(parts, key=lambda p: -len(p))  # stable: equal sizes keep their order


def _acyclic(ids: list[str], edges: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The edges minus those that close a cycle (found by depth-first search from the sources first)."""
    succ = defaultdict(list)
    for s, t in edges:
        succ[s].append(t)
    has_input = {t for _, t in edges}
    state, kept = {}, []          # state: 1 on the stack, 2 done
    for root in [i for i in ids if i not in has_input] + ids:
        if root in state:
            continue
        stack = [(root, iter(succ[root]))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                continue                               # a back edge: dropped
            else:
                kept.append((node, child))
                if child not in state:
                    state[child] = 1
                    stack.append((child, iter(succ[child])))
    return kept


def _layers(ids: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Longest-path layering over an acyclic edge list."""
    preds = defaultdict(list)
    indegree = {i: 0 for i in ids}
    succ = defaultdict(list)
    for s, t in edges:
        preds[t].append(s)
        succ[s].append(t)
        indegree[t] += 1
    layer, ready = {}, [i for i in ids if indegree[i] == 0]
    while ready:
        node = ready.pop(0)
        layer[node] = max((layer[p] + 1 for p in preds[node]), default=0)
        for child in succ[node]:
            indegree[child] -= 1
            if indegree[child] == 0:
                ready.append(child)
    return layer


def _layout_part(ids: list[str], edges: list[tuple[str, str]]) -> dict[str, tuple[float, int]]:
    """{node: (column, row)} for one connected part; columns may be fractional and start at 0."""
    edges = _acyclic(ids, edges)
    layer = _layers(ids, edges)
    # waypoints for edges that skip rows, so every edge joins adjacent rows
    up, down = defaultdict(list), defaultdict(list)
    rows: dict[int, list[str]] = defaultdict(list)
    for node_id in ids:
        rows[layer[node_id]].append(node_id)
    dummy = 0
    for s, t in edges:
        previous = s
        for row in range(layer[s] + 1, layer[t]):
            waypoint = ("~", dummy)          # not a str: cannot clash with a node id
            dummy += 1
            layer[waypoint] = row
            rows[row].append(waypoint)
            down[previous].append(waypoint)
            up[waypoint].append(previous)
            previous = waypoint
        down[previous].append(t)
        up[t].append(previous)
    depth = max(rows) + 1
    order = [list(rows[r]) for r in range(depth)]

    def sweep(row_range, neighbours):
        for r in row_range:
            position = {}
            for adjacent in (r - 1, r + 1):
                if 0 <= adjacent < depth:
                    position.update({n: i for i, n in enumerate(order[adjacent])})
            current = order[r]

            def key(item):
                index, node = item
                linked = [position[n] for n in neighbours[node] if n in position]
                return (sum(linked) / len(linked)) if linked else index
            order[r] = [n for _, n in sorted(enumerate(current), key=key)]

    for _ in range(SWEEPS):
        sweep(range(1, depth), up)
        sweep(range(depth - 2, -1, -1), down)

    width = max(len(row) for row in order)
    placed = {}
    for r, row in enumerate(order):
        offset = (width - len(row)) / 2      # centre each row: a chain is one straight column
        for i, node in enumerate(row):
            if isinstance(node, str):
                placed[node] = (offset + i, r)
    return placed


def layout(graph: dict, heights: dict[str, float] | None = None) -> dict[str, list[float]]:
    """Canvas positions {node id: [x, y]} (top-left corners) for every node of `graph`; `heights` (pixels,
    per node id, NODE_HEIGHT for any not given) make a row of tall labels push the next row down."""
    heights = heights or {}
    ids = [n["id"] for n in graph.get("nodes", [])]
    known = set(ids)
    edges = list(dict.fromkeys((e["source"], e["target"]) for e in graph.get("edges", [])
                               if e.get("source") in known and e.get("target") in known
                               and e.get("source") != e.get("target")))
    positions, left, start = {}, ORIGIN[0], ORIGIN[1]
    for part in _components(ids, edges):
        members = set(part)
        placed = _layout_part(part, [(s, t) for s, t in edges if s in members])
        columns = max(c for c, _ in placed.values()) + 1
        tallest = defaultdict(float)
        for node_id, (_, row) in placed.items():
            tallest[row] = max(tallest[row], heights.get(node_id, NODE_HEIGHT))
        top, tops = start, []
        for row in range(max(tallest) + 1):
            tops.append(top)
            top += (tallest[row] or NODE_HEIGHT) + ROW_GAP
        for node_id, (column, row) in placed.items():
            positions[node_id] = [round(left + column * (NODE_WIDTH + COLUMN_GAP), 1), round(tops[row], 1)]
        left += columns * (NODE_WIDTH + COLUMN_GAP) - COLUMN_GAP + COMPONENT_GAP
        if start == ORIGIN[1]:
            # the other parts start beside the main part's last row: an unconnected Trainer lands next to
            # the node it should follow, a short drag away, not at the top of a long graph
            start = tops[-1]
    return positions


def apply(graph: dict, heights: dict[str, float] | None = None) -> dict:
    """A copy of `graph` with every node placed by layout()."""
    positions = layout(graph, heights)
    return dict(graph, nodes=[dict(n, position=positions[n["id"]]) for n in graph.get("nodes", [])])

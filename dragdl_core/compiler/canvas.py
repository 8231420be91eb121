"""The canvas view of a graph, and the edits the canvas makes to it. Pure: no Streamlit.

The graph dict (format `dragdl.graph`) is the truth. `flow_nodes` / `flow_edges` draw it in React Flow's
element format for the canvas component (app/canvas_component), with each node's output shape and errors on
its label; `merge_canvas` takes back what only the browser can change (positions, new edges, the clicked element)."""
from __future__ import annotations

import copy
import html
import math
import re
from typing import Any

from . import layout, registry
from .graph import FORMAT, VERSION

EDGE_PREFIX = "st-flow-edge_"  # the id React Flow gives an edge drawn in the browser; we use it for all edges
NODE_WIDTH = layout.NODE_WIDTH
ROW_HEIGHT = layout.ROW_HEIGHT  # vertical distance between a node and the one after it
FONT_PX = 13                    # label text; at MIN_ZOOM still >= 10 px on screen
MIN_ZOOM = 0.8                  # the canvas scrolls (grows taller) rather than shrink text below this
MAX_PARAMS_ON_LABEL = 3
MAX_ERROR_ON_LABEL = 50        # characters of an error on the node; the panel and the list show all of it

GROUP_COLOURS = {"Datasets": "#e3f2fd", "Transforms": "#e8f5e9", "Layers": "#fff3e0", "Models": "#f3e5f5",
                 "Train": "#eceff1"}
ERROR_STYLE = {"border": "2px solid #d32f2f", "background": "#ffebee"}
SELECTED_SHADOW = "0 0 0 3px #1976d2"


def empty_graph(name: str = "untitled") -> dict:
    return {"format": FORMAT, "version": VERSION, "name": name, "nodes": [], "edges": []}


def edge_id(source: str, target: str) -> str:
    return f"{EDGE_PREFIX}{source}-{target}"


def _node(graph: dict, node_id: str) -> dict | None:
    return next((n for n in graph["nodes"] if n["id"] == node_id), None)


def find_edge(graph: dict, element_id: str) -> dict | None:
    return next((e for e in graph["edges"] if edge_id(e["source"], e["target"]) == element_id), None)


# -- drawing -----------------------------------------------------------------------------------------

def format_shape(shape: list[int] | None) -> str:
    return "×".join(map(str, shape)) if shape else "?"


def _text(value: Any) -> str:
    """Text from the graph (a type, a value, a message), escaped: the canvas reads <code> marks and entities in
    a label, and a graph loaded from a file, or a student's graph an instructor opens, must not add its own.
    The canvas makes React text of a label, never HTML, so this is the second of two guards."""
    return html.escape(str(value), quote=False)


def _value_text(value: Any) -> str:
    if isinstance(value, list):
        return "×".join(map(str, value)) if all(isinstance(v, int) for v in value) else _text(value)
    return _text(value)


def changed_params(node: dict) -> list[tuple[str, Any]]:
    """The node's parameters that differ from their declared defaults, in declaration order."""
    node_type = registry.get(node["type"])
    params = node.get("params", {})
    if node_type is None:
        return list(params.items())
    out = []
    for name, decl in node_type.params.items():
        if name in params and (decl.required or params[name] != decl.default):
            out.append((name, params[name]))
    return out


def node_label(node: dict, shape: list[int] | None, errors: list[dict]) -> str:
    """Markdown for a node: type and id, the parameters set, the output shape, and what to fix."""
    lines = [f"**{_text(node['type'])}** · <code>{_text(node['id'])}</code>"]
    changed = changed_params(node)
    shown = ", ".join(f"{k}={_value_text(v)}" for k, v in changed[:MAX_PARAMS_ON_LABEL])
    shown += ", … " if len(changed) > MAX_PARAMS_ON_LABEL else " " if shown else ""
    lines.append(f"{shown}→ {format_shape(shape)}")
    for err in errors:
        message = err["message"]
        if len(message) > MAX_ERROR_ON_LABEL:
            message = message[:MAX_ERROR_ON_LABEL - 1].rstrip() + "…"
        lines.append(f"⚠️ {_text(message)}")
    return "\n\n".join(lines)


def _flow_type(node_type) -> str:
    """React Flow's node kind: a source only has an output handle, a sink only an input handle."""
    if node_type is None:
        return "default"
    return {"dataset": "input", "trainer": "output"}.get(node_type.category, "default")


def flow_nodes(graph: dict, shapes: dict | None = None, errors: list[dict] | None = None,
               selected: str | None = None) -> list[dict]:
    """The graph's nodes as React Flow node dicts for the canvas component, each
    labelled with its output shape (`shapes`) and marked with its validation `errors`."""
    shapes, errors = shapes or {}, errors or []
    out = []
    for index, node in enumerate(graph["nodes"]):
        node_type = registry.get(node["type"])
        node_errors = [e for e in errors if e["node"] == node["id"]]
        group = registry.PALETTE_GROUPS[node_type.category] if node_type else "Train"
        style = {"width": f"{NODE_WIDTH}px", "fontSize": f"{FONT_PX}px", "textAlign": "left", "padding": "6px 10px",
                 "background": GROUP_COLOURS[group], "border": "1px solid #90a4ae", "borderRadius": "6px"}
        if node_errors:
            style.update(ERROR_STYLE)
        if node["id"] == selected:
            style["boxShadow"] = SELECTED_SHADOW
        x, y = node.get("position") or (layout.ORIGIN[0], layout.ORIGIN[1] + index * ROW_HEIGHT)
        out.append({
            "id": node["id"], "position": {"x": x, "y": y},
            "data": {"content": node_label(node, shapes.get(node["id"]), node_errors)},
            "type": _flow_type(node_type), "sourcePosition": "bottom", "targetPosition": "top",
            "draggable": True, "connectable": True, "selectable": True, "deletable": False,
            "style": style,
        })
    return out


def is_merge(graph: dict, node_id: str) -> bool:
    node = _node(graph, node_id)
    node_type = registry.get(node["type"]) if node else None
    return bool(node_type and node_type.merge)


def merge_inputs(graph: dict, node_id: str) -> list[dict]:
    """The edges into a merge node in input order, as validation reads them: numbered inputs first, by
    number, then the others in edge order."""
    edges = [e for e in graph["edges"] if e["target"] == node_id]
    numbered = sorted((e for e in edges if e.get("input") is not None), key=lambda e: e["input"])
    return numbered + [e for e in edges if e.get("input") is None]


def flow_edges(graph: dict, selected: str | None = None) -> list[dict]:
    """The edges for React Flow; an edge into a merge node (Add, Concat) is labelled with its input number."""
    positions = {}
    for node_id in {e["target"] for e in graph["edges"]}:
        if is_merge(graph, node_id):
            positions.update({id(e): k for k, e in enumerate(merge_inputs(graph, node_id))})
    out = []
    for edge in graph["edges"]:
        eid = edge_id(edge["source"], edge["target"])
        style = {"strokeWidth": 3, "stroke": "#1976d2"} if eid == selected else {"strokeWidth": 2}
        item = {"id": eid, "source": edge["source"], "target": edge["target"], "type": "default",
                "markerEnd": {"type": "arrowclosed"}, "deletable": False, "focusable": True, "style": style}
        if id(edge) in positions:
            item.update(label=f"input {positions[id(edge)]}", labelShowBg=True)
        out.append(item)
    return out


def set_input(graph: dict, element_id: str, position: int) -> dict:
    """Move the edge `element_id` (into a merge node) to input `position`; every edge into that node is
    then numbered 0, 1, ... in the new order, so no two share a number."""
    graph = copy.deepcopy(graph)
    edge = find_edge(graph, element_id)
    if edge is None or not is_merge(graph, edge["target"]):
        return graph
    order = [e for e in merge_inputs(graph, edge["target"]) if e is not edge]
    order.insert(max(0, min(position, len(order))), edge)
    for k, e in enumerate(order):
        e["input"] = k
    return with_version(graph)


def with_version(graph: dict) -> dict:
    """Version 2 once the graph branches (a fork, a merge node or a numbered input), else as it was: a
    chain drawn on the canvas stays a version-1 graph that any DragDL reads."""
    forks = len({e["source"] for e in graph["edges"]}) < len(graph["edges"])
    if forks or any(is_merge(graph, n["id"]) for n in graph["nodes"]) or any(
            e.get("input") is not None for e in graph["edges"]):
        graph["version"] = 2
    return graph


# -- taking back browser changes ---------------------------------------------------------------------

def merge_canvas(graph: dict, value: dict, selected: str | None) -> tuple[dict, str | None]:
    """Apply what the browser reported (a component value: nodes, edges, selectedId) to the graph.

    Only what the browser alone can change is taken: positions of nodes, edges that the graph lacks (drawn
    by dragging handle to handle; the graph is then tidied), and a clicked node or edge. A report that does
    not list exactly the graph's nodes was made before a change in Python reached the browser (a palette
    click's insert, a delete): it is ignored whole, since its positions and edges would undo that change.
    A missing selectedId keeps the selection: the component reports null after a node is moved, which must
    not drop what the student selected; a click on the empty canvas says so (`cleared`) and drops it. A report that is not what the component sends (anyone can send
    a websocket message) is ignored whole too."""
    graph = copy.deepcopy(graph)
    nodes = {n["id"]: n for n in graph["nodes"]}
    if not well_formed(value) or {item["id"] for item in value["nodes"]} != set(nodes):
        return graph, selected
    for item in value.get("nodes") or []:
        node, position = nodes.get(item.get("id")), item.get("position") or {}
        if node is not None and "x" in position and "y" in position:
            node["position"] = [round(float(position["x"]), 1), round(float(position["y"]), 1)]
    known = {(e["source"], e["target"]) for e in graph["edges"]}
    drawn = False
    for item in value.get("edges") or []:
        pair = (item.get("source"), item.get("target"))
        if pair not in known and pair[0] in nodes and pair[1] in nodes and pair[0] != pair[1]:
            graph["edges"].append({"source": pair[0], "target": pair[1]})
            known.add(pair)
            drawn = True
    if drawn:  # a new connection changes the structure: lay it out again, as an insert does
        graph = tidy(with_version(graph))
    clicked = value.get("selectedId")
    if clicked and (clicked in nodes or find_edge(graph, clicked)):
        selected = clicked
    elif value.get("cleared") is True:  # the empty canvas was clicked
        selected = None
    return graph, selected


def _finite(number) -> bool:
    return isinstance(number, (int, float)) and not isinstance(number, bool) and math.isfinite(number)


def well_formed(value) -> bool:
    """Whether a report has the shape the canvas component sends: nodes with an id and, if any, a finite
    position; edges with a source and a target; a selectedId that is text or null; `cleared` true or false."""
    if not isinstance(value, dict) or not isinstance(value.get("nodes"), list):
        return False
    if not isinstance(value.get("edges", []), list) or not isinstance(value.get("selectedId"), (str, type(None))):
        return False
    if not isinstance(value.get("cleared", False), bool):
        return False
    for item in value["nodes"]:
        position = item.get("position", {}) if isinstance(item, dict) else None
        if not isinstance(position, dict) or not isinstance(item.get("id"), str):
            return False
        if position and not (_finite(position.get("x")) and _finite(position.get("y"))):
            return False
    return all(isinstance(e, dict) and isinstance(e.get("source"), str) and isinstance(e.get("target"), str)
               for e in value.get("edges", []))


def same_drawing(reported: dict, nodes: list[dict], edges: list[dict]) -> bool:
    """Whether the component's report shows these nodes and edges (labels, marks and all; positions
    aside, since the browser owns them). A report that differs and is newer than the last drawing means
    the component ignored that drawing, so it must be sent again with a newer timestamp."""
    def node_key(items):
        return sorted((n.get("id"), (n.get("data") or {}).get("content"), repr(n.get("style"))) for n in items)

    def edge_key(items):
        return sorted((e.get("id"), repr(e.get("style")), e.get("label") or "") for e in items)

    return (node_key(reported.get("nodes") or []) == node_key(nodes)
            and edge_key(reported.get("edges") or []) == edge_key(edges))


# -- edits made from the app -------------------------------------------------------------------------

SHORT_IDS = {"ClassifierHead": "head"}


def _id_prefix(type_name: str) -> str:
    """conv, maxpool, resize, head, ...: short, so labels stay narrow and ids read well in the script."""
    name = SHORT_IDS.get(type_name, type_name).lower().replace("2d", "")
    return re.sub(r"[^a-z0-9]", "", name) or "node"


def new_node_id(graph: dict, type_name: str) -> str:
    prefix, taken = _id_prefix(type_name), {n["id"] for n in graph["nodes"]}
    number = 1
    while f"{prefix}{number}" in taken:
        number += 1
    return f"{prefix}{number}"


def add_node(graph: dict, type_name: str, after: str | None = None) -> tuple[dict, str]:
    """Add a node of `type_name`; after a selected node it is connected below it (an edge that left that
    node now leaves the new one, so adding inside a chain inserts there and the nodes below move down).
    Without one it stays unconnected, laid out beside the rest. Returns (tidied graph, new id)."""
    graph = copy.deepcopy(graph)
    new_id = new_node_id(graph, type_name)
    anchor = _node(graph, after) if after else None
    if anchor is not None:
        outgoing = [e for e in graph["edges"] if e["source"] == after]
        if len(outgoing) == 1:
            outgoing[0]["source"] = new_id
        graph["edges"].append({"source": after, "target": new_id})
    graph["nodes"].append({"id": new_id, "type": type_name, "params": {}})
    return tidy(with_version(graph)), new_id


def delete_element(graph: dict, element_id: str) -> dict:
    """Delete a node (with its edges; a node inside a chain is bridged, so the chain stays whole) or an edge."""
    graph = copy.deepcopy(graph)
    edge = find_edge(graph, element_id)
    if edge is not None:
        graph["edges"].remove(edge)
        return graph
    if _node(graph, element_id) is None:
        return graph
    inputs = [e["source"] for e in graph["edges"] if e["target"] == element_id]
    outputs = [e for e in graph["edges"] if e["source"] == element_id]
    graph["nodes"] = [n for n in graph["nodes"] if n["id"] != element_id]
    graph["edges"] = [e for e in graph["edges"] if element_id not in (e["source"], e["target"])]
    if len(inputs) == 1 and len(outputs) == 1 and not any(
            e["source"] == inputs[0] and e["target"] == outputs[0]["target"] for e in graph["edges"]):
        # the bridge keeps the place the deleted node had among a merge node's inputs
        graph["edges"].append({**outputs[0], "source": inputs[0]})
    return tidy(graph)


def set_param(graph: dict, node_id: str, name: str, value: Any) -> dict:
    """Set one parameter; setting an optional one to None or any one to its default keeps the JSON short."""
    graph = copy.deepcopy(graph)
    node = _node(graph, node_id)
    if node is None:
        return graph
    params = node.setdefault("params", {})
    decl = (registry.get(node["type"]).params.get(name) if registry.get(node["type"]) else None)
    if decl is not None and not decl.required and value == decl.default:
        params.pop(name, None)
    else:
        params[name] = value
    return graph


MIN_HEIGHT, MAX_HEIGHT = 480, 3000
# what a label's height is made of, as Chromium draws it (padding and paragraph margins; one line of text)
LABEL_CHROME_PX, LINE_PX, CHARS_PER_LINE = 39, 19.5, 24
SHAPE_PLACEHOLDER = "→ 64×32×32"  # the shape's length when it is not known yet


def _lines(text: str) -> int:
    """Lines `text` wraps to in a node, word by word (a little pessimistic: wider glyphs do exist)."""
    lines, width = 1, 0
    for word in text.replace("**", "").replace("`", "").split():
        if width and width + 1 + len(word) > CHARS_PER_LINE:
            lines, width = lines + 1, len(word)
        else:
            width += (1 if width else 0) + len(word)
    return lines + (width - 1) // CHARS_PER_LINE if width > CHARS_PER_LINE else lines


def label_height(node: dict, shape=None, errors: list[dict] | None = None, spare_lines: int = 1) -> float:
    """The node's height on the canvas in pixels, estimated from its label, plus `spare_lines` for an
    error that may appear while the student edits (so a new error does not cover the next node)."""
    text = node_label(node, shape or [0], errors or [])
    if shape is None:
        text = text.replace("→ 0", SHAPE_PLACEHOLDER)
    return LABEL_CHROME_PX + LINE_PX * (sum(_lines(p) for p in text.split("\n\n")) + spare_lines)



def canvas_height(graph: dict) -> int:
    """Pixels for the canvas so the laid-out graph fits at about zoom 1 (within bounds): a long graph makes
    the page scroll instead of its labels shrinking below reading size."""
    bottom = max((n["position"][1] for n in graph["nodes"] if n.get("position")), default=0) + layout.NODE_HEIGHT
    return int(min(MAX_HEIGHT, max(MIN_HEIGHT, bottom * 1.15 + 40)))


def tidy(graph: dict, shapes: dict | None = None, errors: list[dict] | None = None) -> dict:
    """Every node placed by the automatic top-to-bottom layout (dragdl_core.compiler.layout): on load, after an
    insert, a delete or a new edge, and on the canvas's Tidy button. Rows are as tall as their labels,
    estimated with the graph's shapes and errors (found by validating it unless the caller gives them)."""
    if errors is None:
        from .partial import analyze_so_far
        from .validate import analyze

        full = analyze(graph)
        shapes, errors = analyze_so_far(graph, full).shapes, full.errors
    shapes = shapes or {}
    heights = {n["id"]: label_height(n, shapes.get(n["id"]), [e for e in errors if e["node"] == n["id"]])
               for n in graph["nodes"]}
    return layout.apply(graph, heights)


def with_positions(graph: dict, shapes: dict | None = None, errors: list[dict] | None = None) -> dict:
    """A loaded graph laid out afresh: stored positions may come from another screen or overlap."""
    return tidy(graph, shapes, errors)

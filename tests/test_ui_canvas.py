"""The canvas <-> graph conversion and the edits the canvas makes (dragdl_core.compiler.canvas): pure, no browser."""
from conftest import example

from dragdl_core.compiler import canvas
from dragdl_core.compiler.validate import analyze


def build(*types):
    """A chain made the way a student makes it: each palette click adds after the node just added."""
    graph, selected = canvas.empty_graph(), None
    for type_name in types:
        graph, selected = canvas.add_node(graph, type_name, after=selected)
    return graph


def boxes_overlap(a, b):
    return abs(a[0] - b[0]) < canvas.NODE_WIDTH and abs(a[1] - b[1]) < canvas.ROW_HEIGHT * 0.8


def test_palette_clicks_build_a_connected_valid_chain_in_one_straight_column():
    graph = build("Digits", "Resize", "Normalize", "Conv2D", "ReLU", "MaxPool2D", "ClassifierHead", "Trainer")
    assert [n["id"] for n in graph["nodes"]] == ["digits1", "resize1", "normalize1", "conv1", "relu1",
                                                "maxpool1", "head1", "trainer1"]
    assert analyze(graph).ok, analyze(graph).errors
    positions = [n["position"] for n in graph["nodes"]]
    assert not any(boxes_overlap(a, b) for i, a in enumerate(positions) for b in positions[i + 1:])
    assert len({p[0] for p in positions}) == 1  # no wrapping into a second column with a diagonal edge
    assert [p[1] for p in positions] == sorted(p[1] for p in positions)


def test_adding_after_a_node_inside_the_chain_inserts_there_and_moves_the_rest_down():
    graph = build("Digits", "Normalize", "Conv2D")
    before = {n["id"]: n["position"] for n in graph["nodes"]}
    graph, new_id = canvas.add_node(graph, "Resize", after="digits1")
    assert {(e["source"], e["target"]) for e in graph["edges"]} == {("digits1", new_id), (new_id, "normalize1"),
                                                                    ("normalize1", "conv1")}
    after = {n["id"]: n["position"] for n in graph["nodes"]}
    assert len({p[0] for p in after.values()}) == 1
    assert after[new_id] == before["normalize1"] and after["normalize1"] == before["conv1"]
    assert after["conv1"][1] > before["conv1"][1]


def test_adding_with_nothing_selected_leaves_the_node_unconnected_at_a_free_spot():
    graph = build("Digits", "Resize")
    graph, new_id = canvas.add_node(graph, "Trainer")
    assert all(new_id not in (e["source"], e["target"]) for e in graph["edges"])
    new = next(n for n in graph["nodes"] if n["id"] == new_id)
    assert not any(boxes_overlap(new["position"], n["position"]) for n in graph["nodes"] if n is not new)
    # beside the chain, with room to drag an edge to it (not just under the last node, handles 8 px apart)
    assert new["position"][0] >= graph["nodes"][0]["position"][0] + canvas.NODE_WIDTH + 60


def test_deleting_a_middle_node_joins_its_neighbours_and_an_edge_can_be_deleted_alone():
    graph = build("Digits", "Resize", "Normalize")
    graph = canvas.delete_element(graph, "resize1")
    assert [n["id"] for n in graph["nodes"]] == ["digits1", "normalize1"]
    assert graph["edges"] == [{"source": "digits1", "target": "normalize1"}]
    graph = canvas.delete_element(graph, canvas.edge_id("digits1", "normalize1"))
    assert graph["edges"] == [] and len(graph["nodes"]) == 2


def test_browser_report_brings_positions_new_edges_and_clicks_but_not_stale_things():
    graph = build("Digits", "Resize")
    report = {"nodes": [{"id": "digits1", "position": {"x": 300.5, "y": 40}},
                        {"id": "resize1", "position": {"x": 0, "y": 0}}],
              "edges": [{"source": "digits1", "target": "resize1"},
                        {"source": "resize1", "target": "resize1"}],         # a loop onto itself
              "selectedId": None, "timestamp": 5}
    merged, selected = canvas.merge_canvas(graph, report, selected="resize1")
    assert [n["id"] for n in merged["nodes"]] == ["digits1", "resize1"]
    assert merged["nodes"][0]["position"] == [300.5, 40.0]
    assert merged["edges"] == graph["edges"]
    assert selected == "resize1"  # a redraw reports no selection; that must not drop the student's

    graph, trainer = canvas.add_node(graph, "Trainer")
    report["nodes"].append({"id": trainer, "position": {"x": 600, "y": 40}})
    report["edges"].append({"id": "st-flow-edge_resize1-trainer1", "source": "resize1", "target": trainer})
    report["selectedId"] = canvas.edge_id("resize1", trainer)
    merged, selected = canvas.merge_canvas(graph, report, selected="resize1")
    assert {"source": "resize1", "target": trainer} in merged["edges"]
    assert selected == canvas.edge_id("resize1", trainer)


def test_a_report_from_before_an_insert_is_ignored_whole():
    """A report made before a palette click reached the canvas (a node dragged just then) lacks the
    new node and still has the edge the insert replaced: taking it would fork the chain and undo the layout."""
    graph = build("Digits", "Resize", "Normalize")
    stale = {"nodes": [{"id": n["id"], "position": {"x": 9, "y": 9}} for n in graph["nodes"]],
             "edges": [{"source": "digits1", "target": "resize1"}, {"source": "resize1", "target": "normalize1"}],
             "selectedId": "digits1"}
    inserted, new_id = canvas.add_node(graph, "RandomRotation", after="resize1")
    merged, selected = canvas.merge_canvas(inserted, stale, selected=new_id)
    assert merged == inserted and selected == new_id
    deleted = canvas.delete_element(graph, "resize1")
    assert canvas.merge_canvas(deleted, stale, selected=None) == (deleted, None)


def test_drawing_marks_errors_and_shows_shapes_and_changed_params():
    graph = example("digits-cnn.json")
    graph["nodes"][1]["params"]["size"] = [0, 16]
    analysis = analyze(graph)
    nodes = {n["id"]: n for n in canvas.flow_nodes(graph, analysis.shapes, analysis.errors, selected="norm")}
    assert "Resize.size must be 1..4096" in nodes["resize"]["data"]["content"]
    assert "size=0×16" in nodes["resize"]["data"]["content"]
    assert nodes["resize"]["style"]["border"] == canvas.ERROR_STYLE["border"]
    assert nodes["data"]["style"]["border"] != canvas.ERROR_STYLE["border"]
    assert nodes["norm"]["style"]["boxShadow"] == canvas.SELECTED_SHADOW
    assert (nodes["data"]["type"], nodes["train"]["type"], nodes["conv1"]["type"]) == ("input", "output", "default")
    fixed = example("digits-cnn.json")
    analysis = analyze(fixed)
    nodes = {n["id"]: n for n in canvas.flow_nodes(fixed, analysis.shapes, analysis.errors)}
    assert nodes["conv1"]["data"]["content"].endswith("→ 16×16×16")


def test_long_errors_are_shortened_on_the_node_only():
    graph = build("Digits", "Resize")
    graph, _ = canvas.add_node(graph, "Trainer")
    analysis = analyze(graph)
    label = canvas.flow_nodes(graph, analysis.shapes, analysis.errors)[2]["data"]["content"]
    message = analysis.node_errors("trainer1")[0]["message"]
    assert len(message) > canvas.MAX_ERROR_ON_LABEL and message[:30] in label and "…" in label


def test_a_graph_survives_the_trip_through_the_canvas():
    graph = canvas.with_positions(example("digits-cnn.json"))
    report = {"nodes": canvas.flow_nodes(graph), "edges": canvas.flow_edges(graph), "selectedId": None}
    merged, _ = canvas.merge_canvas(graph, report, None)
    assert merged == graph
    assert canvas.same_drawing(report, canvas.flow_nodes(graph), canvas.flow_edges(graph))
    changed = canvas.set_param(graph, "conv1", "out_channels", 8)
    assert not canvas.same_drawing(report, canvas.flow_nodes(changed), canvas.flow_edges(changed))


def test_setting_a_parameter_to_its_default_drops_it_from_the_json():
    graph = build("Digits", "Conv2D")
    graph = canvas.set_param(graph, "conv1", "out_channels", 32)
    assert graph["nodes"][1]["params"] == {"out_channels": 32}
    graph = canvas.set_param(graph, "conv1", "out_channels", 16)
    assert graph["nodes"][1]["params"] == {}


def test_loaded_graphs_are_laid_out_afresh_in_path_order():
    graph = example("digits-cnn.json")
    for n in graph["nodes"]:
        n["position"] = [0, 0]  # stored positions that overlap: ignored on load
    graph["nodes"].reverse()
    laid = {n["id"]: n["position"] for n in canvas.with_positions(graph)["nodes"]}
    assert laid["resize"][1] > laid["data"][1] and laid["train"][1] > laid["head"][1]
    assert len({tuple(p) for p in laid.values()}) == len(laid)


def test_a_connection_drawn_in_the_browser_tidies_the_graph():
    graph = build("Digits", "Resize")
    graph, trainer = canvas.add_node(graph, "Trainer")
    report = {"nodes": [{"id": n["id"], "position": dict(zip("xy", n["position"]))} for n in graph["nodes"]],
              "edges": [{"source": "digits1", "target": "resize1"},
                                     {"source": "resize1", "target": trainer}], "selectedId": None}
    merged, _ = canvas.merge_canvas(graph, report, None)
    assert len({tuple(n["position"][:1]) for n in merged["nodes"]}) == 1  # the Trainer joined the column


def test_text_from_a_graph_file_cannot_put_html_on_the_canvas():
    """A graph a student uploads - and an instructor may open - must arrive as text: no element, no event
    handler. The canvas makes text of labels (test_canvas_component checks that in Chromium); the labels are
    escaped as well, so that a graph's text cannot make the label's own marks either."""
    hostile = '<img src=x onerror="alert(1)">'
    graph = {"format": "dragdl.graph", "version": 1, "nodes": [
        {"id": "data", "type": "Digits"},
        {"id": f"x{hostile}", "type": "Resize", "params": {"size": hostile}},
        {"id": "odd", "type": hostile}], "edges": []}
    analysis = analyze(graph)
    labels = [n["data"]["content"] for n in canvas.flow_nodes(graph, analysis.shapes, analysis.errors)]
    for label in labels[1:]:
        assert "<img" not in label and "&lt;img" in label


def test_a_report_not_shaped_like_the_canvas_s_is_ignored_whole():
    """Anyone can send a websocket message as the canvas: a report with odd shapes or numbers changes
    nothing (and raises nothing), where a well-formed one moves the node."""
    graph = build("Digits", "Resize")
    ids = [n["id"] for n in graph["nodes"]]

    def report(position=None, **extra):
        return {"nodes": [{"id": i, "position": position or {"x": 5, "y": 5}} for i in ids], "edges": [],
                "selectedId": None, **extra}

    moved, _ = canvas.merge_canvas(graph, report(), None)
    assert moved["nodes"][0]["position"] == [5, 5]
    for odd in (report({"x": "abc", "y": 1}), report({"x": float("nan"), "y": 1}), report({"x": None, "y": 1}),
                report({"x": True, "y": 1}), report(selectedId=["digits1"]), report(edges={"source": "a"}),
                report(edges=[["digits1", "resize1"]]), report(cleared="yes"), {"nodes": "digits1"}, {"nodes": [ids[0], ids[1]]},
                {"nodes": [{"id": 1}, {"id": 2}]}, [], "report", None):
        assert canvas.merge_canvas(graph, odd, "digits1") == (graph, "digits1"), odd


def test_a_click_on_the_empty_canvas_deselects_and_a_move_does_not():
    graph = build("Digits", "Resize")
    report = {"nodes": [{"id": n["id"], "position": {"x": 5, "y": 5}} for n in graph["nodes"]], "edges": [],
              "selectedId": None}
    assert canvas.merge_canvas(graph, report, "resize1")[1] == "resize1"  # a node moved
    assert canvas.merge_canvas(graph, {**report, "cleared": False}, "resize1")[1] == "resize1"
    assert canvas.merge_canvas(graph, {**report, "cleared": True}, "resize1")[1] is None

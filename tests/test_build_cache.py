"""The Build page's analyses are computed once per distinct graph and shared (dragdl_core.compiler.partial.analyses):
the same graph gives the same result, any change gives a fresh one, and what is cached is what `analyze`
gives."""
from __future__ import annotations

import copy

from conftest import example
from dragdl_core.compiler import canvas
from dragdl_core.compiler.partial import analyses, analyze_so_far, model_summary
from dragdl_core.compiler.summary import summarize
from dragdl_core.compiler.validate import analyze


def test_a_graph_is_analysed_once_and_a_change_is_seen():
    graph = example("digits-cnn.json")
    first, shown = analyses(graph)
    assert analyses(copy.deepcopy(graph)) == (first, shown) and analyses(copy.deepcopy(graph))[0] is first
    assert first.errors == analyze(graph).errors and first.shapes == analyze(graph).shapes

    conv = next(n["id"] for n in graph["nodes"] if n["type"] == "Conv2D")
    changed = canvas.set_param(graph, conv, "out_channels", 24)
    again, _ = analyses(changed)
    assert again is not first and again.shapes[conv][0] == 24 and first.shapes[conv][0] != 24
    assert model_summary(changed) == summarize(analyze(changed))
    assert model_summary(changed)["parameters"] != model_summary(graph)["parameters"]


def test_an_unfinished_graph_shows_shapes_so_far_like_analyze_so_far():
    graph = canvas.empty_graph()
    for type_name in ("Digits", "Resize", "Conv2D"):
        graph, _ = canvas.add_node(graph, type_name, after=graph["nodes"][-1]["id"] if graph["nodes"] else None)
    analysis, shown = analyses(graph)
    assert not analysis.ok  # no head, no trainer
    assert shown.shapes == analyze_so_far(graph).shapes and set(shown.shapes) == {"digits1", "resize1", "conv1"}

"""The canvas layout (dragdl_core.compiler.layout): a chain is one straight column, branches of a DAG sit side by side
and re-join at their merge node, unconnected parts go beside the main one, and nothing overlaps."""
from conftest import example

from dragdl_core.compiler import layout
from dragdl_core.compiler.templates import load_template, templates


def graph(edges, extra=()):
    ids = list(dict.fromkeys([s for s, _ in edges] + [t for _, t in edges] + list(extra)))
    return {"nodes": [{"id": i, "type": "ReLU", "params": {}} for i in ids],
            "edges": [{"source": s, "target": t} for s, t in edges]}


def overlapping(positions):
    boxes = list(positions.values())
    return [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:]
            if abs(a[0] - b[0]) < layout.NODE_WIDTH + 10 and abs(a[1] - b[1]) < layout.ROW_HEIGHT - 10]


def test_a_chain_is_one_straight_column_in_path_order_whatever_the_node_order():
    chain = graph([("a", "b"), ("b", "c"), ("c", "d")])
    chain["nodes"].reverse()
    placed = layout.layout(chain)
    assert len({p[0] for p in placed.values()}) == 1
    assert placed["a"][1] < placed["b"][1] < placed["c"][1] < placed["d"][1]


def test_a_residual_block_puts_the_branch_beside_the_skip_and_rejoins_below_both():
    # data -> conv1 -> pool1 -> (conv2 -> bn2) + skip -> add1 -> head -> train
    dag = graph([("data", "conv1"), ("conv1", "pool1"), ("pool1", "conv2"), ("conv2", "bn2"),
                 ("bn2", "add1"), ("pool1", "add1"), ("add1", "head"), ("head", "train")])
    placed = layout.layout(dag)
    assert not overlapping(placed)
    trunk = ["data", "conv1", "pool1", "add1", "head", "train"]
    assert len({placed[n][0] for n in trunk}) == 1          # the trunk stays straight
    assert placed["conv2"][0] != placed["pool1"][0]          # the branch is moved aside for the skip edge
    assert placed["pool1"][1] < placed["conv2"][1] < placed["bn2"][1] < placed["add1"][1]


def test_two_branches_of_a_concat_sit_side_by_side_and_the_merge_is_centred_below():
    dag = graph([("stem", "a1"), ("a1", "a2"), ("stem", "b1"), ("b1", "b2"), ("a2", "cat"), ("b2", "cat"),
                 ("cat", "head")])
    placed = layout.layout(dag)
    assert not overlapping(placed)
    assert placed["a1"][1] == placed["b1"][1] and placed["a1"][0] != placed["b1"][0]
    assert placed["a1"][0] == placed["a2"][0] and placed["b1"][0] == placed["b2"][0]  # no crossing
    centre = (placed["a1"][0] + placed["b1"][0]) / 2
    assert placed["stem"][0] == placed["cat"][0] == placed["head"][0] == centre
    assert placed["cat"][1] > placed["a2"][1]


def test_unconnected_nodes_go_beside_the_main_part_with_room_to_connect():
    placed = layout.layout(graph([("a", "b"), ("b", "c")], extra=["trainer"]))
    assert placed["trainer"][0] >= placed["a"][0] + layout.NODE_WIDTH + layout.COMPONENT_GAP
    assert placed["trainer"][1] == placed["c"][1]  # level with the chain's end, a short drag away
    assert not overlapping(placed)


def test_a_cycle_drawn_by_mistake_still_lays_out():
    placed = layout.layout(graph([("a", "b"), ("b", "c"), ("c", "a")]))
    assert sorted(placed) == ["a", "b", "c"] and not overlapping(placed)


def test_every_template_lays_out_as_a_straight_chain_without_overlaps():
    """Chains are one column; a branching template (version 2) has its branches side by side."""
    for title in templates():
        graph = load_template(title)
        placed = layout.layout(graph)
        assert not overlapping(placed), title
        sources = [e["source"] for e in graph["edges"]]
        forks = {s for s in sources if sources.count(s) > 1}
        if not forks:
            assert len({p[0] for p in placed.values()}) == 1, title
        for fork in forks:
            targets = [e["target"] for e in graph["edges"] if e["source"] == fork]
            assert len({placed[t][0] for t in targets}) == len(targets), (title, fork)


def test_apply_keeps_everything_but_positions():
    original = example("digits-cnn.json")
    laid = layout.apply(original)
    assert [dict(n, position=None) for n in laid["nodes"]] == [dict(n, position=None) for n in original["nodes"]]
    assert laid["edges"] == original["edges"]

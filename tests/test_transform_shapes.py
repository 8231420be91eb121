"""What the Build page says when a transform's parameters do not fit its input: crops at and over the image's
edges (height and width apart), ranges given the wrong way round, an image transform after an array one, the
Lambda's trial within the graph's time budget, and the evaluation-time counterpart of RandomCrop. The shape
arithmetic itself is checked against Paddle in test_shape_properties; these pin the refusals and their words
(found unpinned by mutation testing: benchmarks/mutation.py transforms)."""
import time

import pytest

from dragdl_core.compiler import registry
from dragdl_core.compiler import validate as v
from dragdl_core.compiler.codegen import compile_graph
from dragdl_core.compiler.registry import Context, ShapeError
from dragdl_core.compiler.safe_expr import TIME_LIMIT_S, ExpressionError
from dragdl_core.nodes.transforms import lambda_


def chain(*transforms, dataset=("Digits", {})):
    """A dataset (Digits: 1 x 8 x 8), the transforms [(id, type, params)], a head and a Trainer."""
    nodes = [("data", *dataset), *transforms, ("head", "ClassifierHead", {}), ("train", "Trainer", {})]
    return {"format": "dragdl.graph", "version": 1, "name": "transforms",
            "nodes": [{"id": i, "type": t, "params": p} for i, t, p in nodes],
            "edges": [{"source": a[0], "target": b[0]} for a, b in zip(nodes, nodes[1:])]}


def errors(graph) -> list[tuple]:
    return [(e["node"], e["field"], e["code"], e["message"]) for e in v.validate(graph)]


RESIZE = ("resize", "Resize", {"size": [12, 10]})  # not square: height and width cannot be mixed up


@pytest.mark.parametrize("crop", ["CenterCrop", "RandomCrop"])
def test_a_crop_as_large_as_the_image_fits(crop):
    result = v.analyze(chain(RESIZE, ("crop", crop, {"size": [12, 10]})))
    assert result.ok, result.errors
    assert result.shapes["crop"] == [1, 12, 10]


@pytest.mark.parametrize("crop, size, padding, message", [
    ("CenterCrop", [13, 10], 0, "CenterCrop.size 13x10 is larger than its 12x10 input"),
    ("CenterCrop", [12, 11], 0, "CenterCrop.size 12x11 is larger than its 12x10 input"),
    ("CenterCrop", [11, 12], 0, "CenterCrop.size 11x12 is larger than its 12x10 input"),
    ("RandomCrop", [15, 13], 1, "RandomCrop.size 15x13 is larger than its 14x12 input"),  # padded by 1 all round
    ("RandomCrop", [14, 13], 1, "RandomCrop.size 14x13 is larger than its 14x12 input"),
    ("RandomCrop", [15, 12], 1, "RandomCrop.size 15x12 is larger than its 14x12 input"),
])
def test_a_crop_larger_than_its_input_names_both_sizes(crop, size, padding, message):
    params = {"size": size, **({"padding": padding} if crop == "RandomCrop" else {})}
    assert errors(chain(RESIZE, ("crop", crop, params))) == [
        ("crop", "size", "bad_shape", f"{crop} 'crop': {message}; resize first or choose a smaller size")]


def test_random_crops_padding_is_kept_at_evaluation():
    """Evaluation replaces a RandomCrop by its padding and a centre crop, so the model sees the same size."""
    padded = compile_graph(chain(RESIZE, ("crop", "RandomCrop", {"size": [12, 10], "padding": 2})))
    plain = compile_graph(chain(RESIZE, ("crop", "RandomCrop", {"size": [12, 10]})))
    eval_part = lambda script: script[script.index("eval_transform"):]  # noqa: E731
    assert "T.Pad(2), T.CenterCrop((12, 10)),  # crop: RandomCrop -> [1, 12, 10]" in eval_part(padded)
    assert "T.CenterCrop((12, 10)),  # crop: RandomCrop -> [1, 12, 10]" in eval_part(plain)
    assert "T.Pad(" not in eval_part(plain)


@pytest.mark.parametrize("node_type, key, params", [
    ("RandomResizedCrop", "scale", {"scale": [0.9, 0.5]}),
    ("RandomResizedCrop", "ratio", {"ratio": [2.0, 0.5]}),
    ("RandomAffine", "scale", {"scale": [1.2, 0.8]}),
])
def test_a_range_given_the_wrong_way_round_is_refused(node_type, key, params):
    assert errors(chain(("aug", node_type, params))) == [
        ("aug", key, "out_of_range", f"{node_type}.{key} must be [min, max], got {params[key]}")]


@pytest.mark.parametrize("node_type, params", [
    ("RandomResizedCrop", {"scale": [0.5, 0.5], "ratio": [1.0, 1.0], "size": 8}),
    ("RandomAffine", {"scale": [1.0, 1.0]}),
    ("RandomAffine", {"scale": None}),
])
def test_a_range_of_one_value_is_a_range(node_type, params):
    assert errors(chain(("aug", node_type, params))) == []


def test_normalize_names_the_channel_counts_it_accepts():
    graph = chain(("norm", "Normalize", {"mean": [0.5, 0.5], "std": [0.5]}),
                  dataset=("Shapes", {"num_classes": 3, "image_size": 16}))
    assert errors(graph) == [("norm", "mean", "bad_shape", "Normalize 'norm': mean has 2 values but the image has "
                                                           "3 channel(s); give 1 or 3")]


@pytest.mark.parametrize("array_node, params", [("Lambda", {"expression": "x"}), ("Normalize", {})])
def test_an_image_transform_after_an_array_one_names_the_node_to_move_above(array_node, params):
    graph = chain(("my-step", array_node, params), ("flip", "RandomHorizontalFlip", {}))
    assert errors(graph) == [("flip", None, "bad_shape", "RandomHorizontalFlip 'flip': RandomHorizontalFlip works "
                              "on images, so it must come before 'my-step' (Normalize and Lambda work on arrays); "
                              "move it up the chain")]


# -- the Lambda's trial and the graph's time budget -----------------------------------------------------------
# The trial itself runs in a sandbox child with real time limits (test_sandbox_lambda, slow); here a stand-in
# answers at once, so what Lambda does with the limit and with the answer is checked without waiting.

@pytest.fixture
def trials(monkeypatch):
    """Stand-in for the sandboxed trial: records the time limit it was given. `slow` overruns any limit,
    `broken` fails on its own, `first` keeps the first channel; anything else keeps the shape."""
    limits = []

    def trial(text, hwc, time_limit=TIME_LIMIT_S):
        limits.append(time_limit)
        if text == "slow":
            raise ExpressionError(f"`slow` took longer than {time_limit:g} s on one image")
        if text == "broken":
            raise ExpressionError("`broken` is not a function")
        return (hwc[0], hwc[1], 1) if text == "first" else hwc

    monkeypatch.setattr(lambda_, "trial_shape", trial)
    return limits


LAMBDA = registry.get("Lambda")


def infer(expression, apply="all", **extra):
    ctx = Context(num_classes=3, image_shape=[3, 8, 8], in_shape=[3, 8, 8], extra=extra)
    return LAMBDA.infer_shape({"expression": expression, "apply": apply}, [3, 8, 8], ctx)


def refusal(expression, **extra) -> tuple[str, str]:
    with pytest.raises(ShapeError) as err:
        infer(expression, **extra)
    return err.value.field, err.value.message


BUDGET_MESSAGE = ("validation stopped here: the whole graph's time budget ran out during this Lambda's trial; "
                  "make the Lambdas before it cheaper")


def test_the_trial_gets_the_full_second_when_the_budget_allows(trials):
    assert infer("x") == [3, 8, 8] and infer("x", deadline=time.monotonic() + 60) == [3, 8, 8]
    assert trials == [TIME_LIMIT_S, TIME_LIMIT_S]
    # over the full second the expression itself is too slow, whatever the budget
    assert refusal("slow", deadline=time.monotonic() + 60) == ("expression", "`slow` took longer than 1 s on one image")


def test_the_trial_gets_what_is_left_of_the_budget_and_says_so_when_it_runs_out(trials):
    assert refusal("slow", deadline=time.monotonic() + 0.5) == ("expression", BUDGET_MESSAGE)
    assert 0.05 <= trials[0] <= 0.5


def test_a_spent_budget_still_gives_the_trial_a_moment_and_its_own_errors_are_its_own(trials):
    assert refusal("broken", deadline=time.monotonic() - 5) == ("expression", "`broken` is not a function")
    assert trials == [0.05]
    assert infer("x", deadline=time.monotonic() - 5) == [3, 8, 8]


def test_a_train_only_lambda_that_changes_the_shape_says_both_shapes(trials):
    assert infer("first") == [1, 8, 8]
    with pytest.raises(ShapeError) as err:
        infer("first", apply="train")
    assert (err.value.field, err.value.message) == (
        "expression", "a train-only Lambda must keep the shape [3, 8, 8], but gives [1, 8, 8]; evaluation would "
                      "see a different shape")

"""Shape inference over the parameter space, not just the defaults: for every layer, transform and head node
type in the registry, hypothesis draws parameters within their declared bounds and an input shape, and the
shape DragDL infers must be the shape real Paddle gives when it runs the code DragDL generates for that node
(for a train-only transform, also its evaluation-time counterpart). Where inference refuses, Paddle must fail
too, unless the refusal is one DragDL makes on purpose (REFUSED_ON_PURPOSE says which and why).

Generic over the registry: a new node type is drawn from its own parameter declarations. Example counts are
modest and the draws derandomized, so the file runs in well under a minute on 2 cores and never flakes."""
from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from PIL import Image

from dragdl_core.compiler import registry
from dragdl_core.compiler.params import Bool, Choice, Float, Int, Numbers, Text
from dragdl_core.compiler.registry import Context, ShapeError

paddle = pytest.importorskip("paddle")
from paddle import nn  # noqa: E402
from paddle.vision import transforms as T  # noqa: E402

from dragdl_core.runtime.transforms import SafeLambda, ToFloatArray  # noqa: E402

NUM_CLASSES = 3
CAP = 64  # upper bounds above min + CAP are drawn up to min + CAP: big enough for every edge case of the
#           arithmetic (kernel 31, stride 16, padding 32 are all inside), small enough for a quick Paddle call
EXAMPLES = 30
NAMESPACE = {"nn": nn, "T": T, "paddle": paddle, "SafeLambda": SafeLambda, "ToFloatArray": ToFloatArray,
             "num_classes": NUM_CLASSES}
# Text parameters cannot be drawn from their declaration alone: expressions that keep or change the shape.
TEXT = {("Lambda", "expression"): st.sampled_from([
    "x", "clip(x * 1.5, 0, 1)", "mean(x, axis=2, keepdims=True)", "x[::2, ::2, :]", "x[:, :, :1]",
    "transpose(x, (1, 0, 2))", "fliplr(x)", "x[1:-1, 2:, :]", "where(x > 0.5, 1.0, 0.0)", "x[:, :, 0]"])}

# one-input nodes; merge nodes (Add, Concat) take several and have their own contract test (test_node_contract)
PARAM_TYPES = [n for n, t in sorted(registry.node_types().items())
               if t.category in ("layer", "transform", "head") and not t.merge]


def refused_on_purpose(type_name: str, params: dict, in_shape: list[int]) -> str | None:
    """Why DragDL refuses a case Paddle would run anyway, or None (then Paddle must fail too)."""
    if type_name == "Linear" and len(in_shape) != 1:
        return "nn.Linear multiplies the last axis, so it runs on an image whose width equals its input size"
    if type_name == "Normalize":
        return "numpy broadcasting turns a 1-channel image and 3 means into 3 channels"
    if type_name in ("CenterCrop", "RandomCrop"):
        return "PIL pads a crop larger than the image with black instead of refusing (evaluation's CenterCrop)"
    if type_name == "Lambda" and params["apply"] == "train":
        return "a train-only Lambda must keep the shape: evaluation skips it, and the model would see two shapes"
    if "kernel_size" in params and len(in_shape) == 3 and \
            params["kernel_size"] > min(in_shape[1:]) + 2 * params.get("padding", 0):
        return ("a window larger than its (padded) input: Paddle's C++ arithmetic rounds (size - kernel) / "
                "stride toward zero and still gives one output; the design calls it an error")
    if type_name == "ClassifierHead":
        return "never refuses"
    return None


# -- drawing parameters from their declarations ---------------------------------------------------------
def _capped(lo, hi):
    lo = 0 if lo is None else lo
    return lo, min(hi if hi is not None else lo + CAP, lo + CAP)


def param_strategy(type_name: str, key: str, decl) -> st.SearchStrategy:
    if isinstance(decl, Text):
        assert (type_name, key) in TEXT, f"add example values for {type_name}.{key} to TEXT"
        value = TEXT[(type_name, key)]
    elif isinstance(decl, Bool):
        value = st.booleans()
    elif isinstance(decl, Choice):
        value = st.sampled_from(list(decl.choices))
    elif isinstance(decl, Int):
        value = st.integers(*_capped(decl.min, decl.max))
    elif isinstance(decl, Float):
        value = st.floats(decl.min if decl.min is not None else -CAP, decl.max if decl.max is not None else CAP,
                          allow_nan=False)
    elif isinstance(decl, Numbers):
        lo, hi = _capped(decl.min, decl.max)
        item = st.integers(int(np.ceil(lo)), int(hi)) if decl.integer else st.floats(lo, hi, allow_nan=False)
        value = st.lists(item, min_size=decl.min_length, max_size=decl.max_length)
        if decl.scalar_ok:
            value = value | item
    else:
        raise AssertionError(f"{type_name}.{key}: no strategy for {type(decl).__name__}; add one here")
    return st.none() | value if decl.optional else value


@st.composite
def params_for(draw, type_name: str) -> dict:
    node_type = registry.get(type_name)
    raw = {key: draw(param_strategy(type_name, key, decl)) for key, decl in node_type.params.items()}
    params, problems = node_type.resolve(raw, "node")
    assume(not problems)  # a cross-field check (e.g. scale [min, max] the wrong way round) refused it
    return params


@st.composite
def input_shape(draw, node_type) -> list[int]:
    side = st.integers(1, 40)
    if node_type.category == "transform":
        channels = st.sampled_from([1, 3]) if node_type.stage == "image" else st.integers(1, 4)
        return [draw(channels), draw(side), draw(side)]
    if draw(st.integers(0, 4)) == 0:
        return [draw(st.integers(1, 64))]  # a flat input, as after Flatten
    return [draw(st.integers(1, 4)), draw(side), draw(side)]


# -- running the generated code ---------------------------------------------------------------------------
def _build(code):
    parts = code if isinstance(code, list) else [code]
    return [eval(part, dict(NAMESPACE)) for part in parts]  # noqa: S307 - DragDL's own generated code


def run_layer(node_type, params, ctx, in_shape) -> list[int]:
    layers = _build(node_type.code(params, ctx))
    x = paddle.rand([2, *in_shape])
    for layer in layers:
        layer.eval()
        x = layer(x)
    return list(x.shape[1:])


def _image(in_shape, seed):
    pixels = np.random.default_rng(seed).integers(0, 256, (in_shape[1], in_shape[2], in_shape[0]), dtype=np.uint8)
    return Image.fromarray(pixels[..., 0], "L") if in_shape[0] == 1 else Image.fromarray(pixels, "RGB")


def _chw(out) -> list[int]:
    arr = np.asarray(out)
    if arr.ndim == 2:
        arr = arr[..., None]
    return [arr.shape[2], arr.shape[0], arr.shape[1]]


def run_transform(code: str, node_type, in_shape, seed) -> list[int]:
    steps = eval(f"[{code}]", dict(NAMESPACE))  # noqa: S307 - an eval_code may be two transforms
    if node_type.stage == "image":
        x = _image(in_shape, seed)
    else:
        x = np.random.default_rng(seed).random((in_shape[1], in_shape[2], in_shape[0])).astype(np.float32)
    random.seed(seed)
    np.random.seed(seed)
    paddle.seed(seed)
    for step in steps:
        x = step(x)
    return _chw(x)


def paddle_refuses(run) -> bool:
    try:
        out = run()
    except Exception:  # noqa: BLE001 - whatever Paddle raises for an impossible shape
        return True
    return min(out) < 1


@pytest.mark.parametrize("type_name", PARAM_TYPES)
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_inferred_shapes_are_what_paddle_computes(type_name, data):
    node_type = registry.get(type_name)
    params = data.draw(params_for(type_name), label="params")
    in_shape = data.draw(input_shape(node_type), label="input shape")
    seed = data.draw(st.integers(0, 2**16), label="seed")
    ctx = Context(num_classes=NUM_CLASSES, image_shape=in_shape, in_shape=in_shape, extra={})
    try:
        inferred = node_type.infer_shape(params, list(in_shape), ctx)
    except ShapeError:
        inferred = None

    if node_type.category == "transform":
        runs = {"training": lambda: run_transform(node_type.code(params, ctx), node_type, in_shape, seed)}
        if node_type.train_only(params):
            eval_code = node_type.eval_code(params, ctx)
            runs["evaluation"] = ((lambda: run_transform(eval_code, node_type, in_shape, seed)) if eval_code
                                  else (lambda: list(in_shape)))  # skipped at evaluation: the shape is kept
    else:
        runs = {"the model": lambda: run_layer(node_type, params, ctx, in_shape)}

    for when, run in runs.items():
        if inferred is not None:
            assert run() == inferred, f"{type_name}{params} on {in_shape}, {when}: Paddle gives another shape"
        elif not refused_on_purpose(type_name, params, in_shape):
            assert paddle_refuses(run), f"{type_name}{params} on {in_shape}, {when}: refused, but Paddle runs it"

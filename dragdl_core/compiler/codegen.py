"""Code generation: a validated graph becomes one standalone, readable PaddlePaddle script.

The script shows what a student should see - the transform pipelines, `build_model()`, the optimizer and
the training loop - and leaves the bookkeeping (data splits, metrics, checkpoints, export) to
`dragdl_core.runtime`. `python train.py --run-dir DIR` trains; running it again resumes."""
from __future__ import annotations

import keyword
import re
import textwrap

from . import registry
from .validate import Analysis, analyze


class CompileError(ValueError):
    def __init__(self, errors: list[dict]):
        super().__init__("; ".join(e["message"] for e in errors))
        self.errors = errors


def _shape_comment(node, analysis: Analysis) -> str:
    return f"# {node.id}: {node.type} -> {analysis.shapes[node.id]}"


def _transform_lines(analysis: Analysis, training: bool) -> list[str]:
    lines, converted = [], False
    for node in analysis.order[1:]:
        node_type = registry.get(node.type)
        if node_type.category != "transform":
            continue
        # a transform may depend on its input (RandomRotation fills one channel or three)
        analysis.context.in_shape = analysis.shapes[analysis.inputs[node.id][0]]
        params = analysis.params[node.id]
        code = node_type.code(params, analysis.context)
        if not training and node_type.train_only(params):
            code = node_type.eval_code(params, analysis.context)
            if code is None:
                continue
        if node_type.stage == "array" and not converted:
            lines.append("ToFloatArray(),  # PIL image -> float32 (height, width, channels) array in 0..1")
            converted = True
        lines.append(f"{code},  {_shape_comment(node, analysis)}")
    if not converted:
        lines.append("ToFloatArray(),  # PIL image -> float32 (height, width, channels) array in 0..1")
    lines.append("T.Transpose(),  # (height, width, channels) -> (channels, height, width), as layers expect")
    return lines


MODEL_CATEGORIES = ("layer", "backbone", "head")


def _model_nodes(analysis: Analysis) -> list:
    return [n for n in analysis.order if registry.get(n.type).category in MODEL_CATEGORIES]


def _layer_code(node, analysis: Analysis) -> list[str]:
    """The node's layer(s) as code lines: one expression, or several for a node that is a few layers."""
    analysis.context.in_shape = analysis.shapes[analysis.inputs[node.id][0]]
    code = registry.get(node.type).code(analysis.params[node.id], analysis.context)
    return code if isinstance(code, list) else [code]


def _model_lines(analysis: Analysis) -> list[str]:
    lines = []
    for node in _model_nodes(analysis):
        lines.append(_shape_comment(node, analysis))
        lines.extend(f"{part}," for part in _layer_code(node, analysis))
    return lines


def is_branching(analysis: Analysis) -> bool:
    """A model with a merge node (and so a fork before it) cannot be an nn.Sequential."""
    return any(registry.get(n.type).merge for n in analysis.order)


# Names a variable or `self.` attribute in the generated model must not take: Python's keywords, the
# script's own names, and nn.Layer's public attributes (a node called `train` must not hide Layer.train).
RESERVED = set(keyword.kwlist) | {
    "self", "super", "paddle", "nn", "T", "num_classes", "training", "None", "True", "False",
    "add_module", "add_parameter", "add_sublayer", "apply", "astype", "backward", "bfloat16", "buffers",
    "children", "clear_gradients", "cpu", "create_parameter", "create_tensor", "create_variable", "cuda",
    "double", "eval", "extra_repr", "float", "float16", "forward", "full", "full_name", "get_buffer",
    "get_extra_state", "get_parameter", "get_sublayer", "get_submodule", "half", "load_dict",
    "load_state_dict", "modules", "named_buffers", "named_children", "named_modules", "named_parameters",
    "named_sublayers", "parameters", "register_buffer", "register_forward_hook", "register_forward_post_hook",
    "register_forward_pre_hook", "register_module", "register_parameter", "register_state_dict_hook",
    "requires_grad_", "set_dict", "set_state_dict", "set_sublayer", "set_submodule", "sharded_state_dict",
    "state_dict", "sublayers", "to", "to_static_state_dict", "train", "type", "xpu", "zero_grad"}


def python_names(ids) -> dict[str, str]:
    """A Python identifier for each node id (ids may hold `.:-` or start with a digit), unique and unreserved."""
    names, taken = {}, set()
    for node_id in ids:
        name = re.sub(r"\W", "_", node_id)
        if not name[0].isalpha():
            name = "n" + name
        while name in RESERVED or name in taken:
            name += "_"
        names[node_id] = name
        taken.add(name)
    return names


def _model_class(analysis: Analysis) -> str:
    """`class Net(nn.Layer)`: one attribute per model node, and a forward with one line per node in
    topological order, each tensor named after its node, so the code reads like the graph."""
    nodes = _model_nodes(analysis)
    first_input = analysis.inputs[nodes[0].id][0]  # the last transform (or the dataset)
    names = python_names([first_input] + [n.id for n in nodes])
    init, forward = [], []
    for node in nodes:
        node_type, name = registry.get(node.type), names[node.id]
        inputs = [names[i] for i in analysis.inputs[node.id]]
        comment = f"  # {node.type} -> {analysis.shapes[node.id]}"
        if node_type.merge:
            forward.append(f"{name} = {node_type.merge_code(analysis.params[node.id], inputs)}{comment}")
            continue
        parts = _layer_code(node, analysis)
        init.append(_shape_comment(node, analysis))
        if len(parts) == 1:
            init.append(f"self.{name} = {parts[0]}")
        else:
            init += [f"self.{name} = nn.Sequential("] + [f"    {part}," for part in parts] + [")"]
        forward.append(f"{name} = self.{name}({inputs[0]}){comment}")
    forward.append(f"return {names[nodes[-1].id]}")
    return f'''class Net(nn.Layer):
    """The model part of the graph; each line of `forward` is one node, named after its id."""

    def __init__(self, num_classes):
        super().__init__()
{_indent(init, 8)}

    def forward(self, {names[first_input]}):
{_indent(forward, 8)}


def build_model(num_classes):
    return Net(num_classes)
'''


def _sequential(analysis: Analysis) -> str:
    return f'''def build_model(num_classes):
    return nn.Sequential(
{_indent(_model_lines(analysis), 8)}
    )
'''


def has_random_transform(analysis: Analysis) -> bool:
    """A train-only (Random*) transform runs before the model: training sees different images each epoch."""
    return any(registry.get(n.type).category == "transform"
               and registry.get(n.type).train_only(analysis.params[n.id]) for n in analysis.order)


def _caches_features(analysis: Analysis, random_train: bool) -> bool:
    """A frozen backbone with no random transform before it gives the same features every epoch."""
    return not random_train and not is_branching(analysis) and any(
        registry.get(n.type).caches_features(analysis.params[n.id])
        for n in analysis.order)


FEATURE_CACHE_LINES = """\
# The backbone is frozen and no random transform runs before it, so its features are the same in every
# epoch: compute them once, then train the head alone on them (the same result, much less work).
backbone, head = model[0], model[1:]
train_loader = backbones.FeatureLoader(backbone, train_loader)
val_loader = backbones.FeatureLoader(backbone, val_loader)
"""


def _indent(lines: list[str], spaces: int) -> str:
    return textwrap.indent("\n".join(lines), " " * spaces)


def compile_graph(source) -> str:
    """The training script for a graph (pathlib.Path, JSON text, dict or Graph); CompileError if it is not valid."""
    analysis = source if isinstance(source, Analysis) else analyze(source)
    if analysis.errors:
        raise CompileError(analysis.errors)
    graph, order = analysis.graph, analysis.order
    dataset, trainer = order[0], order[-1]
    ds_type = registry.get(dataset.type)
    tp = analysis.params[trainer.id]
    random_train = has_random_transform(analysis)
    path = " -> ".join(n.id for n in order)
    trainer_type = registry.get(trainer.type)
    lr_code, optimizer_code = trainer_type.schedule_code(tp), trainer_type.optimizer_code(tp)
    title = re.sub(r"[^\w .,()+-]", "_", graph.name)  # the name lands in a docstring: keep it inert
    folder = re.sub(r"[^\w.-]", "_", graph.name)
    imports = sorted({line for n in order for line in registry.get(n.type).imports})
    cache = _caches_features(analysis, random_train)
    net, inputs = ("head", "features") if cache else ("model", "images")  # what the loop trains, and on what
    cache_lines = textwrap.indent(FEATURE_CACHE_LINES, " " * 8) if cache else ""
    return f'''\
"""{title}: an image classifier, generated by DragDL from its graph.

    {path}

Train it:  python train.py --run-dir runs/{folder}
Running the same command again resumes from the last finished epoch.
"""
import argparse
import os

os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count()))  # Paddle would use one core otherwise

import dragdl_core.runtime.paddle_quiet  # imports Paddle; its start-up warnings go to log.txt, not the terminal
import paddle
from paddle import nn
from paddle.vision import transforms as T

from dragdl_core.runtime import datasets
from dragdl_core.runtime.training import Run, evaluate, make_loader
from dragdl_core.runtime.transforms import SafeLambda, ToFloatArray
{"".join(line + chr(10) for line in imports)}
EPOCHS = {tp["epochs"]}
BATCH_SIZE = {tp["batch_size"]}
SEED = {tp["seed"]}
EARLY_STOPPING_PATIENCE = {tp["early_stopping_patience"]}  # 0 = train all epochs


def load_data():
    """{dataset.id}: {dataset.type} -> images {analysis.shapes[dataset.id]}, {analysis.context.num_classes} classes."""
    return {ds_type.code(analysis.params[dataset.id], analysis.context)}


# Augmentation (Random* transforms) runs only while training; every other step also runs for
# validation, test and prediction, so the model always sees images prepared the same way.
train_transform = T.Compose([
{_indent(_transform_lines(analysis, training=True), 4)}
])
eval_transform = T.Compose([
{_indent(_transform_lines(analysis, training=False), 4)}
])


{_model_class(analysis) if is_branching(analysis) else _sequential(analysis)}

def make_optimizer(model):
    lr = {lr_code}
    scheduler = lr if isinstance(lr, paddle.optimizer.lr.LRScheduler) else None
    return {optimizer_code}, scheduler


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run-dir", required=True, help="where metrics, checkpoints and the model go")
    parser.add_argument("--device", default={tp["device"]!r}, choices=["auto", "cpu", "gpu"])
    parser.add_argument("--progress", action="store_true", help="show a progress bar")
    args = parser.parse_args()

    with Run(args.run_dir, epochs=EPOCHS, seed=SEED, device=args.device, progress=args.progress,
             script=__file__) as run:  # the script is kept with the model: prediction uses its eval_transform
        data = load_data()
        train_loader = make_loader(data.train, train_transform, BATCH_SIZE, shuffle=True, seed=SEED,
                                   cache={not random_train})  # cache: no random transform, prepare once
        val_loader = make_loader(data.val, eval_transform, BATCH_SIZE, cache=True)
        test_loader = make_loader(data.test, eval_transform, BATCH_SIZE, cache=True)

        model = build_model(data.num_classes)
        optimizer, scheduler = make_optimizer(model)
        loss_fn = nn.CrossEntropyLoss()
        start_epoch = run.resume(model, optimizer)
{cache_lines}
        for epoch in range(start_epoch, EPOCHS):
            run.start_epoch(epoch, train_loader)  # reseeds shuffling and augmentation from (SEED, epoch)
            {net}.train()
            for {inputs}, labels in train_loader:
                logits = {net}({inputs})
                loss = loss_fn(logits, labels)
                loss.backward()
                optimizer.step()
                optimizer.clear_grad()
                run.log_step(loss, logits, labels, len(train_loader), optimizer.get_lr())
            if scheduler:
                scheduler.step()
            run.end_epoch(model, optimizer, evaluate({net}, val_loader, loss_fn))  # metrics + checkpoint
            if run.should_stop(EARLY_STOPPING_PATIENCE):
                break

        run.finish(model, data, test_loader, loss_fn, restore_best=EARLY_STOPPING_PATIENCE > 0)


if __name__ == "__main__":
    main()
'''

"""Starting points for the canvas: the class's assignments first ("assignment: <title>", published by an
instructor under <home>/assignments/), then the example graphs shipped in `examples/`, by their graph name."""
from __future__ import annotations

import json
import time
from functools import lru_cache
from pathlib import Path

from ..classroom import assignments
from ..config import REPO_ROOT

EXAMPLES_DIR = REPO_ROOT / "examples"


# The examples in teaching order, from first steps to transfer learning: (one line, expected test accuracy,
# time to train). Measured by `python benchmarks/templates.py` (README, "Templates"): accuracy is the same
# every run (seeded); the time is the longer of two runs on the project's 2-core machine under load (load
# average 4-5), rounded up to 5 s. Templates whose dataset needs a download were not measured (offline).
EXAMPLES = {
    "digits-small-cnn": ("First steps: a small CNN on 8×8 handwritten digits", "98%", "15 s"),
    "shapes-augment": ("Augmentation: coloured shapes with random affine, colour jitter and flips", "89%", "15 s"),
    "digits-residual-block": ("A residual block on Digits: the skip edge adds the block's input to its output, "
                              "so the convolutions only learn a correction", "96%", "10 s"),
    "shapes-two-branch": ("Two-branch module on Shapes: a 1×1 and a 5×5 convolution see the same features at "
                          "two scales, Concat stacks both as channels", "90%", "20 s"),
    "imagefolder-shapes-demo": ("Your own images: a folder dataset (make 'shapes-demo' on the Datasets page first)",
                                "98%", "20 s"),
    "mnist": ("MNIST digits, 28×28", None, None),
    "fashion-mnist": ("Fashion-MNIST clothing, 28×28", None, None),
    "cifar10": ("CIFAR-10 photos, 32×32 colour", None, None),
    "flowers102": ("102 kinds of flowers", None, None),
    "shapes-resnet18-frozen": ("Transfer learning: a resnet18 backbone, frozen, with a new head "
                               "(random weights offline; imagenet weights do far better)", "54%", "15 s"),
}


DOWNLOAD_STATE_SECONDS = 30


def _period() -> int:
    return int(time.monotonic() // DOWNLOAD_STATE_SECONDS)


def _download_state(title: str) -> str | None:
    """For a template whose dataset needs a download: whether this server has it, and what to do if not.
    Remembered for DOWNLOAD_STATE_SECONDS: the picker asks for every template on every Build-page rerun, and
    a download by the instructor is rare."""
    return _download_state_at(title, _period())


@lru_cache(maxsize=256)
def _download_state_at(title: str, _slot: int) -> str | None:
    try:
        node_type = download_dataset(load_template(title))
    except (OSError, ValueError, KeyError):
        return None
    if node_type is None:
        return None
    return "downloaded" if downloaded(node_type.name) else "needs a download: ask your instructor"


def downloaded(type_name: str) -> bool:
    """Whether this server has the files of the download dataset `type_name` (MNIST, Cifar10...), remembered
    for DOWNLOAD_STATE_SECONDS: the palette and the template picker ask on every Build-page rerun."""
    return _downloaded_at(type_name, _period())


@lru_cache(maxsize=64)
def _downloaded_at(type_name: str, _slot: int) -> bool:
    from . import registry

    return not registry.get(type_name).missing_files()


def download_dataset(graph: dict):
    """The graph's dataset node type that Paddle downloads (MNIST, Cifar10...), or None."""
    from . import registry

    for node in graph.get("nodes", []):
        node_type = registry.get(node.get("type"))
        if node_type is not None and getattr(node_type, "needs_download", False):
            return node_type
    return None


def describe(title: str) -> str:
    """One line for the template picker: what it teaches, the accuracy and time to expect."""
    if title.startswith("assignment: "):
        return title  # from the instructor, who wrote its title
    line, accuracy, time = EXAMPLES.get(title, ("", None, None))
    expected = f" · ~{accuracy} in ~{time}" if accuracy else ""
    download = _download_state(title)
    if download:
        expected += f" · ⤓ {download}"
    number = list(EXAMPLES).index(title) + 1 if title in EXAMPLES else None
    return f"{f'{number}. ' if number else ''}{title} — {line}{expected}" if line else title


def templates() -> dict[str, Path]:
    """Every assignment and readable example graph, as {title: path}, assignments first, then the examples in
    teaching order (EXAMPLES; others after, by name); an example's title is the graph's name (file name if
    none). A graph opened from an assignment is tagged with it for the leaderboard (pages/build.py)."""
    found = {f"assignment: {a.title}": assignments.graph_path(a.name) for a in assignments.list_assignments()}
    try:
        stamp = EXAMPLES_DIR.stat().st_mtime_ns
    except OSError:
        stamp = None
    found.update(_examples(stamp))
    return found


@lru_cache(maxsize=4)
def _examples(stamp: int | None) -> dict[str, Path]:
    """The example graphs by title in teaching order; read again only when the folder changes (the Build page
    asks each rerun)."""
    examples = {}
    for path in sorted(EXAMPLES_DIR.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("format") == "dragdl.graph":
            examples[data.get("name") or path.stem] = path
    rank = {title: i for i, title in enumerate(EXAMPLES)}
    return dict(sorted(examples.items(), key=lambda item: (rank.get(item[0], len(rank)), item[0])))


def open_template(title: str) -> tuple[dict, str | None]:
    """The template's graph, and the assignment it stands for (its name; None for an example)."""
    path = templates()[title]
    return load_template(path), (path.parent.name if title.startswith("assignment: ") else None)


def load_template(source: str | Path) -> dict:
    """A template's graph, by title or by the path templates() gave."""
    path = source if isinstance(source, Path) else templates()[source]
    return json.loads(path.read_text(encoding="utf-8"))

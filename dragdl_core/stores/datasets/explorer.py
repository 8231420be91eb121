"""Browse the datasets directory: list, describe (class counts, sizes, modes), samples per class, the split a
graph would make, and delete. Pure functions over the folders, for the Datasets page and the CLI."""
from __future__ import annotations

import os
import random
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from ... import config
from ...classroom import access
from ...imaging import ImageReadError, read_image
from ...classroom.users import as_actor
from ...nodes.datasets.base import split_sizes
from . import metadata
from .errors import DatasetError
from .folders import class_dirs, image_files, is_dataset_name
from .importer import TRASH_PREFIX, remove_tree
from .ownership import DatasetAccessDenied, check_owner, may_see
from .stats import Stats, class_counts, scan


@dataclass
class DatasetInfo:
    name: str
    path: Path
    classes: dict[str, int]            # class -> images, as training will load them
    meta: dict = field(default_factory=dict)
    stats: Stats | None = None         # sizes / modes / formats (describe() fills it)

    @property
    def images(self) -> int:
        return sum(self.classes.values())

    @property
    def owner(self) -> str | None:
        return self.meta.get("owner")

    @property
    def shared(self) -> bool:
        """Published to the whole class by an instructor."""
        return bool(self.meta.get("shared"))

    @property
    def created(self) -> str | None:
        return self.meta.get("created")

    @property
    def report(self) -> dict:
        return self.meta.get("report") or {}

    def to_dict(self) -> dict:
        data = {"name": self.name, "path": str(self.path), "owner": self.owner, "created": self.created,
                "source": self.meta.get("source"), "shared": self.shared, "classes": self.classes,
                "images": self.images}
        if self.stats is not None:
            data.update({k: v for k, v in self.stats.to_dict().items() if k != "classes"})
            data["report"] = self.report
        return data


def dataset_path(name: str) -> Path:
    """The folder of dataset `name`, or DatasetError; a name can never reach outside the datasets directory."""
    if not is_dataset_name(name):
        raise DatasetError(f"'{name}' is not a dataset name (letters, digits, _ . -)")
    path = config.datasets_dir() / name
    if not path.is_dir():
        raise DatasetError(f"no dataset named '{name}' in "
                           f"{access.server_path(config.datasets_dir(), 'the datasets folder')}")
    return path


def _info(path: Path, meta: dict | None = None) -> DatasetInfo:
    return DatasetInfo(path.name, path, class_counts(path), metadata.read(path) if meta is None else meta)


def _visible(name: str, owner, action: str) -> Path:
    path = dataset_path(name)
    if owner is not None:
        check_owner(path, owner, action)
    return path


def check_use(name: str, owner) -> None:
    """Refuse a graph that trains on a dataset its user may not read (DatasetError when it does not exist:
    validation has said so already)."""
    _visible(name, owner, "use")


def share(name: str, shared: bool = True, owner=None) -> None:
    """Publish a dataset to the whole class (or take it back): instructors only."""
    path = dataset_path(name)
    try:
        access.check(as_actor(owner), "publish_dataset")
    except access.AccessDenied as err:
        raise DatasetAccessDenied(str(err)) from None
    meta = metadata.read(path) or metadata.new(name, None, "a folder made by hand")
    meta["shared"] = bool(shared)
    metadata.write(path, meta)


def list_datasets(owner=None) -> list[DatasetInfo]:
    """The datasets `owner` (the acting user; None: the server, every dataset) may see: for a student their
    own, the instance's and those shared with the class; for an instructor all."""
    root = config.datasets_dir()
    if not root.is_dir():
        return []
    folders = [p for p in sorted(root.iterdir()) if p.is_dir() and is_dataset_name(p.name)]
    visible = [(p, metadata.read(p)) for p in folders]
    return [_info(p, meta) for p, meta in visible if owner is None or may_see(p, owner, meta)]


def describe(name: str, owner=None) -> DatasetInfo:
    """Counts from the folders; size, mode and format figures from the import record while it still matches
    the folders, otherwise read again from the image headers (also how many needed each reading fix). `owner`: the acting user, who must be allowed
    to see it."""
    info = _info(_visible(name, owner, "view"))
    record = info.meta.get("stats") or {}
    recorded = Stats.from_dict(record)
    current = dict(recorded.classes) == info.classes and "fixes" in record  # older records lack the fixes
    info.stats = recorded if current else scan(info.path)
    return info


def samples(name: str, per_class: int = 6, seed: int = 0, owner=None) -> dict[str, list[Path]]:
    """Up to `per_class` image paths of each class, a seeded random pick (the same each time for a seed)."""
    rng = random.Random(seed)
    picks = {}
    for folder in class_dirs(_visible(name, owner, "view")):
        files = image_files(folder)
        picks[folder.name] = sorted(rng.sample(files, min(per_class, len(files))))
    return picks


def thumbnail(path: Path, max_side: int = 256):
    """A sample image for the explorer, read as training reads it (`imaging.read_image`: upright, 8-bit,
    transparency on white) and shrunk to fit `max_side`; None when the file cannot be read."""
    try:
        image = read_image(path, at_least=max_side)  # a big JPEG is decoded at a fraction of its size
    except ImageReadError:
        return None
    image.thumbnail((max_side, max_side))
    return image


def split_preview(classes: dict[str, int], val_ratio: float = 0.1, test_ratio: float = 0.2) -> dict[str, dict]:
    """Per class, how many images train / val / test get with these ratios (the ImageFolder node's split)."""
    return {c: dict(zip(("train", "val", "test"), split_sizes(n, val_ratio, test_ratio))) for c, n in classes.items()}


def delete(name: str, owner: str | None = None) -> None:
    """Remove a dataset: renamed away in one step (so no half dataset is ever visible), then deleted."""
    path = dataset_path(name)
    check_owner(path, owner, "delete")
    trash = path.with_name(f"{TRASH_PREFIX}{name}-{uuid.uuid4().hex[:8]}")
    os.rename(path, trash)
    remove_tree(trash)

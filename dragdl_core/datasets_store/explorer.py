"""Browse the datasets directory: list, describe (class counts, sizes, modes), samples per class, the split a
graph would make, and delete. Pure functions over the folders, for the Datasets page and the CLI."""
from __future__ import annotations

import os
import random
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .. import config
from ..nodes.datasets.base import split_sizes
from ..nodes.datasets.image_folder import class_dirs, image_files, is_dataset_name
from . import metadata
from .errors import DatasetError
from .importer import TRASH_PREFIX, remove_tree
from .ownership import check_owner
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
    def created(self) -> str | None:
        return self.meta.get("created")

    @property
    def report(self) -> dict:
        return self.meta.get("report") or {}

    def to_dict(self) -> dict:
        data = {"name": self.name, "path": str(self.path), "owner": self.owner, "created": self.created,
                "source": self.meta.get("source"), "classes": self.classes, "images": self.images}
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
        raise DatasetError(f"no dataset named '{name}' in {config.datasets_dir()}")
    return path


def _info(path: Path) -> DatasetInfo:
    return DatasetInfo(path.name, path, class_counts(path), metadata.read(path))


def list_datasets(owner: str | None = None) -> list[DatasetInfo]:
    """Every dataset (owner None), or those `owner` imported plus the ones without an owner."""
    root = config.datasets_dir()
    if not root.is_dir():
        return []
    found = [_info(p) for p in sorted(root.iterdir()) if p.is_dir() and is_dataset_name(p.name)]
    return [d for d in found if owner is None or d.owner in (None, owner)]


def describe(name: str) -> DatasetInfo:
    """Counts from the folders; size, mode and format figures from the import record while it still matches
    the folders, otherwise read again from the image headers."""
    info = _info(dataset_path(name))
    recorded = Stats.from_dict(info.meta.get("stats") or {})
    info.stats = recorded if dict(recorded.classes) == info.classes else scan(info.path)
    return info


def samples(name: str, per_class: int = 6, seed: int = 0) -> dict[str, list[Path]]:
    """Up to `per_class` image paths of each class, a seeded random pick (the same each time for a seed)."""
    rng = random.Random(seed)
    picks = {}
    for folder in class_dirs(dataset_path(name)):
        files = image_files(folder)
        picks[folder.name] = sorted(rng.sample(files, min(per_class, len(files))))
    return picks


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

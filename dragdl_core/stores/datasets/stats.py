"""What a dataset holds, counted: images per class, and the distribution of sizes, colour modes and formats.
Built during an import (the facts are known then) or by reading image headers of a folder made by hand."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ...imaging import ImageReadError, open_image
from .folders import class_dirs, image_files
from .images import ImageFacts, facts_of


@dataclass
class Stats:
    classes: Counter = field(default_factory=Counter)
    sizes: Counter = field(default_factory=Counter)    # "WxH" -> images
    modes: Counter = field(default_factory=Counter)    # PIL mode (RGB, L, P, RGBA, ...) -> images
    formats: Counter = field(default_factory=Counter)  # PNG, JPEG, ... -> images
    fixes: Counter = field(default_factory=Counter)    # imaging.FIXES key -> images that needed it

    def add(self, label: str, facts: ImageFacts) -> None:
        self.classes[label] += 1
        self.sizes[facts.size] += 1
        self.modes[facts.mode] += 1
        self.formats[facts.format] += 1
        self.fixes.update(facts.fixes)

    @property
    def images(self) -> int:
        return sum(self.classes.values())

    def to_dict(self) -> dict:
        return {"classes": dict(sorted(self.classes.items())),
                **{k: dict(getattr(self, k).most_common()) for k in ("sizes", "modes", "formats", "fixes")}}

    @classmethod
    def from_dict(cls, data: dict) -> "Stats":
        return cls(*(Counter(data.get(k) or {}) for k in ("classes", "sizes", "modes", "formats", "fixes")))


def class_counts(root: Path) -> dict[str, int]:
    """Images per class folder, as training will load them (a directory listing, no image opened)."""
    return {folder.name: len(image_files(folder)) for folder in class_dirs(root)}


def scan(root: Path) -> Stats:
    """Stats of a dataset folder from its image headers (no pixel decoded); unreadable files are not counted."""
    stats = Stats()
    for folder in class_dirs(root):
        for path in image_files(folder):
            try:
                with open_image(path, max_pixels=None) as image:
                    facts = facts_of(image)
            except (ImageReadError, OSError):
                continue
            stats.add(folder.name, facts)
    return stats

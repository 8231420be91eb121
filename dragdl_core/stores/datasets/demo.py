"""A small demo dataset drawn from the synthetic Shapes, imported through the same safe path as an upload,
so examples/imagefolder.json runs offline on a fresh checkout."""
from __future__ import annotations

import io
import zipfile

from PIL import Image

from .importer import ImportResult, Progress, import_archive


def demo_archive(num_classes: int = 3, image_size: int = 32, per_class: int = 100, seed: int = 0) -> io.BytesIO:
    """A zip of class folders (circle/circle-000.png, ...) of Shapes images."""
    from ...synthetic_shapes import SHAPE_NAMES, draw_shapes  # numpy and PIL: only when a demo is made

    images, labels = draw_shapes(num_classes, image_size, per_class, noise=0.1, seed=seed)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i, (image, label) in enumerate(zip(images, labels)):
            png = io.BytesIO()
            Image.fromarray(image).save(png, "PNG")
            kind = SHAPE_NAMES[label]
            archive.writestr(f"{kind}/{kind}-{i:04d}.png", png.getvalue())
    buffer.seek(0)
    return buffer


def write_demo(name: str = "shapes-demo", *, num_classes: int = 3, image_size: int = 32, per_class: int = 100,
               seed: int = 0, owner: str | None = None, replace: bool = False,
               progress: Progress | None = None) -> ImportResult:
    archive = demo_archive(num_classes, image_size, per_class, seed)
    return import_archive(archive, name, owner=owner, replace=replace, progress=progress,
                          source_name=f"Shapes demo ({num_classes} classes x {per_class}, {image_size}px)")

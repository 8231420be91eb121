"""Import speed of the dataset store: zips of class folders of various image sizes, imported into a temporary
datasets folder. Prints a table (images/s and MB/s of archive) and the time to refuse a zip bomb.

    python benchmarks/dataset_import.py [--quick]
"""
from __future__ import annotations

import argparse
import io
import os
import platform
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def build_zip(path: Path, classes: int, per_class: int, size: int, fmt: str) -> None:
    rng = np.random.RandomState(0)
    ext = "jpg" if fmt == "JPEG" else fmt.lower()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for c in range(classes):
            for i in range(per_class):
                # smooth gradients plus noise: compresses like a photo rather than like pure noise
                x = np.linspace(0, 255, size)
                base = (np.add.outer(x, x[::-1]) / 2)[..., None] * np.array([1.0, 0.7 + 0.1 * c, 0.5])
                pixels = np.clip(base + rng.normal(0, 12, (size, size, 3)), 0, 255).astype(np.uint8)
                out = io.BytesIO()
                Image.fromarray(pixels).save(out, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
                archive.writestr(f"class{c}/img{i:05d}.{ext}", out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller cases")
    args = parser.parse_args()
    scale = 4 if args.quick else 1
    cases = [(2, 1000 // scale, 32, "PNG"), (2, 1000 // scale, 64, "JPEG"), (4, 500 // scale, 256, "JPEG"),
             (2, 40 // scale, 2048, "JPEG"), (2, 200 // scale, 256, "PNG")]
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DRAGDL_DATASETS"] = str(Path(tmp) / "datasets")
        from dragdl_core.stores import datasets as store

        print(f"# dataset import, {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
              f"Python {platform.python_version()}")
        print(f"{'images':>7} {'size':>6} {'format':>6} {'zip MB':>7} {'seconds':>8} {'images/s':>9} {'MB/s':>6}")
        for n, (classes, per_class, size, fmt) in enumerate(cases):
            path = Path(tmp) / f"case{n}.zip"
            build_zip(path, classes, per_class, size, fmt)
            mb = path.stat().st_size / 2**20
            start = time.perf_counter()
            result = store.import_archive(path, f"case{n}")
            seconds = time.perf_counter() - start
            images = result.stats.images
            print(f"{images:>7} {size:>6} {fmt:>6} {mb:>7.1f} {seconds:>8.2f} {images / seconds:>9.0f} "
                  f"{mb / seconds:>6.1f}")
        bomb = Path(tmp) / "bomb.zip"
        with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("a/zeros.png", b"\0" * (200 << 20))
        start = time.perf_counter()
        try:
            store.import_archive(bomb, "bomb")
        except store.DatasetError as err:
            print(f"zip bomb ({bomb.stat().st_size / 2**10:.0f} KB -> 200 MB) refused in "
                  f"{(time.perf_counter() - start) * 1000:.1f} ms: {err.message[:60]}...")


if __name__ == "__main__":
    main()

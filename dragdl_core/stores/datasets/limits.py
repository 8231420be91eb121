"""Import limits: what one archive may cost the server. Defaults suit a classroom server; each can be set
by an environment variable so an instructor changes them without touching code."""
from __future__ import annotations

import os
from dataclasses import dataclass, fields

from .errors import DatasetError

MB = 1 << 20


@dataclass(frozen=True)
class Limits:
    max_archive_bytes: int = 1024 * MB       # the uploaded zip itself
    max_files: int = 50_000                  # entries in the archive, folders included
    max_unpacked_bytes: int = 4096 * MB      # sum of the entries' sizes once unpacked
    max_file_bytes: int = 64 * MB            # one entry once unpacked
    max_ratio: int = 100                     # unpacked / packed size, per entry and overall (zip bombs)
    max_pixels: int = 50_000_000             # width x height of one image (decompression bombs)
    min_images_per_class: int = 5            # fewer and the class cannot be split into train/val/test

    @classmethod
    def from_env(cls) -> "Limits":
        """Defaults, overridden by DRAGDL_IMPORT_<FIELD> (sizes in megabytes for the *_bytes fields)."""
        values = {}
        for f in fields(cls):
            var = env_var(f.name)
            raw = os.environ.get(var)
            if raw is None or not raw.strip():
                continue
            try:
                number = float(raw)
            except ValueError:
                raise DatasetError(f"{var}={raw!r} is not a number") from None
            if number <= 0:
                raise DatasetError(f"{var} must be positive, got {raw}")
            values[f.name] = int(number * MB) if f.name.endswith("_bytes") else int(number)
        return cls(**values)

    def describe(self) -> dict[str, str]:
        """Human-readable limits, keyed by their environment variable (for the page, the CLI and the docs)."""
        return {env_var(f.name): (size_text(getattr(self, f.name)) if f.name.endswith("_bytes")
                                  else f"{getattr(self, f.name):,}") for f in fields(self)}


def env_var(field_name: str) -> str:
    return "DRAGDL_IMPORT_" + field_name.upper().replace("_BYTES", "_MB")


def size_text(n: int) -> str:
    """Bytes for people: '950 KB', '12.5 MB', '4,096 MB'."""
    if n < MB:
        return f"{n / 1024:,.0f} KB" if n >= 1024 else f"{n} bytes"
    return f"{n / MB:,.1f} MB" if n < 100 * MB else f"{n / MB:,.0f} MB"

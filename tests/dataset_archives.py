"""Archives for the dataset tests, built in memory from PIL-generated images: good ones of both layouts and
every kind of bad one."""
from __future__ import annotations

import io
import stat
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
from PIL import Image


def image_bytes(kind: str = "light", size: int = 16, fmt: str = "PNG", seed: int = 0) -> bytes:
    """A small image: 'light' ones are bright, 'dark' ones dim, each with noise (trivially separable)."""
    rng = np.random.RandomState(seed)
    base = 200 if kind == "light" else 50
    pixels = np.clip(base + rng.normal(0, 20, (size, size, 3)), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, fmt)
    return out.getvalue()


def class_files(classes=("light", "dark"), per_class: int = 20, size: int = 16, prefix: str = "") -> dict:
    """{"light/light-000.png": bytes, ...}: the class-folder layout, alternating PNG and JPEG."""
    files = {}
    for c, name in enumerate(classes):
        kind = "light" if c % 2 == 0 else "dark"
        for i in range(per_class):
            fmt, ext = ("PNG", "png") if i % 2 == 0 else ("JPEG", "jpg")
            files[f"{prefix}{name}/{name}-{i:03d}.{ext}"] = image_bytes(kind, size, fmt, seed=c * 1000 + i)
    return files


def write_zip(path: Path, files: dict, compression=zipfile.ZIP_DEFLATED) -> Path:
    """Write `files` ({name: bytes | ZipInfo-with-bytes tuple}) as a zip at `path`."""
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in files.items():
            if isinstance(data, tuple):
                info, payload = data
                flags = info.flag_bits  # writing resets them; the central directory keeps what is set after
                archive.writestr(info, payload)
                info.flag_bits |= flags
            else:
                archive.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return path


def unix_entry(name: str, mode: int) -> zipfile.ZipInfo:
    """An entry whose Unix mode marks it as a symlink, a device, ... (as `zip -y` records them)."""
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = mode << 16
    return info


def symlink_entry(name: str, target: str) -> tuple:
    return unix_entry(name, stat.S_IFLNK | 0o777), target.encode()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width x height pixels but carries almost no data: a decompression bomb's header."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def tree(root: Path) -> set[str]:
    """Every path under root (relative), files and folders: to prove nothing appeared anywhere."""
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def blank_bmp(size: int = 100) -> bytes:
    """An all-white bitmap: tens of KB that deflate to almost nothing (a ratio far over 100, yet no bomb)."""
    out = io.BytesIO()
    Image.new("RGB", (size, size), "white").save(out, "BMP")
    return out.getvalue()


def patch_central_directory(path: Path, name: str, *, crc: int | None = None, file_size: int | None = None) -> None:
    """Overwrite what the central directory claims about entry `name` (its CRC-32 or unpacked size), as a
    damaged or forged archive would: the entry's bytes stay as they are."""
    data = bytearray(path.read_bytes())
    start = 0
    while (start := data.find(b"PK\x01\x02", start)) >= 0:
        name_length = struct.unpack_from("<H", data, start + 28)[0]
        if data[start + 46:start + 46 + name_length] == name.encode():
            if crc is not None:
                struct.pack_into("<I", data, start + 16, crc)
            if file_size is not None:
                struct.pack_into("<I", data, start + 24, file_size)
            path.write_bytes(bytes(data))
            return
        start += 4
    raise KeyError(name)

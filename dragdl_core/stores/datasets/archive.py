"""A zip archive opened for import. Every entry is checked from the central directory before a byte is
unpacked: paths that escape the folder, links and device files refuse the whole archive, and so do the size,
count and compression-ratio limits that stop zip bombs. Entries are read into memory one at a time, bounded
by the per-file limit; nothing here writes to disk."""
from __future__ import annotations

import os
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .errors import DatasetError
from .limits import MB, Limits, size_text

RATIO_FLOOR = 1 * MB  # smaller entries may compress well (a blank bitmap) without being a bomb
SPECIAL_FILES = {stat.S_IFLNK: "a symbolic link", stat.S_IFCHR: "a device file", stat.S_IFBLK: "a device file",
                 stat.S_IFIFO: "a named pipe", stat.S_IFSOCK: "a socket"}
UNIX = 3  # ZipInfo.create_system for archives made on Unix, whose external_attr carries st_mode


class EntryError(Exception):
    """One entry cannot be read (damaged, encrypted, too large); the import skips it and says why."""


@dataclass(frozen=True)
class Member:
    """A file entry: its ZipInfo and its path split into checked components."""

    info: zipfile.ZipInfo
    parts: tuple[str, ...]

    @property
    def path(self) -> str:
        return "/".join(self.parts)


def entry_parts(name: str) -> tuple[str, ...]:
    """The components of an entry name, or DatasetError when it is absolute or climbs out with '..'."""
    if "\x00" in name:
        raise DatasetError(f"archive refused: entry {name!r} has a NUL character in its name")
    normal = name.replace("\\", "/")  # zips made on Windows sometimes use backslashes
    if normal.startswith("/") or re.match(r"^[A-Za-z]:", normal):
        raise DatasetError(f"archive refused: entry '{name}' is an absolute path")
    parts = tuple(p for p in normal.split("/") if p not in ("", "."))
    if ".." in parts:
        raise DatasetError(f"archive refused: entry '{name}' points outside the dataset folder (..)")
    return parts


def _special_kind(info: zipfile.ZipInfo) -> str | None:
    mode = info.external_attr >> 16
    if info.create_system != UNIX or not mode:
        return None
    return SPECIAL_FILES.get(stat.S_IFMT(mode))


def _size_of(source: str | os.PathLike | BinaryIO) -> int:
    if isinstance(source, (str, os.PathLike)):
        return os.stat(source).st_size
    position = source.tell()
    size = source.seek(0, os.SEEK_END)
    source.seek(position)
    return size


def _ratio(unpacked: int, packed: int) -> float:
    return unpacked / max(packed, 1)


class Archive:
    """`with Archive(path_or_file, limits, label) as archive:` then `archive.members` and `archive.read(m)`."""

    def __init__(self, source: str | os.PathLike | BinaryIO, limits: Limits, label: str = "archive"):
        self.limits, self.label = limits, label
        size = _size_of(source)
        if size > limits.max_archive_bytes:
            raise DatasetError(f"{label} is {size_text(size)}; the limit is {size_text(limits.max_archive_bytes)}")
        try:
            self.zip = zipfile.ZipFile(source)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
            raise DatasetError(f"{label} is not a zip archive, or it is damaged") from None
        try:
            self.members = self._check(infos)
        except BaseException:
            self.zip.close()
            raise

    def _check(self, infos: list[zipfile.ZipInfo]) -> list[Member]:
        limits = self.limits
        if len(infos) > limits.max_files:
            raise DatasetError(f"archive refused: {len(infos):,} entries; the limit is {limits.max_files:,} files")
        members, unpacked, packed = [], 0, 0
        for info in infos:
            parts = entry_parts(info.filename)
            kind = _special_kind(info)
            if kind:
                raise DatasetError(f"archive refused: entry '{info.filename}' is {kind}, not a regular file")
            if info.is_dir() or not parts:
                continue
            if info.file_size > RATIO_FLOOR and _ratio(info.file_size, info.compress_size) > limits.max_ratio:
                raise DatasetError(f"archive refused: entry '{info.filename}' unpacks {size_text(info.file_size)} "
                                   f"from {size_text(info.compress_size)} (ratio over {limits.max_ratio}); "
                                   "this looks like a zip bomb")
            unpacked += info.file_size
            packed += info.compress_size
            members.append(Member(info, parts))
        if unpacked > limits.max_unpacked_bytes:
            raise DatasetError(f"archive refused: it unpacks to {size_text(unpacked)}; the limit is "
                               f"{size_text(limits.max_unpacked_bytes)}")
        if unpacked > RATIO_FLOOR and _ratio(unpacked, packed) > limits.max_ratio:
            raise DatasetError(f"archive refused: it unpacks {size_text(unpacked)} from {size_text(packed)} "
                               f"(ratio over {limits.max_ratio}); this looks like a zip bomb")
        self.unpacked_bytes = unpacked
        return members

    def read(self, member: Member) -> bytes:
        """The entry's bytes, at most its declared size (zipfile stops there and checks the CRC)."""
        info = member.info
        if info.flag_bits & 0x1:
            raise EntryError("encrypted")
        if info.file_size > self.limits.max_file_bytes:
            raise EntryError(f"{size_text(info.file_size)} is over the {size_text(self.limits.max_file_bytes)} "
                             "limit for one file")
        try:
            with self.zip.open(info) as stream:
                data = stream.read(info.file_size + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, ValueError):
            raise EntryError("damaged in the archive") from None
        if len(data) != info.file_size:
            raise EntryError("damaged in the archive (size differs from its header)")
        return data

    def close(self) -> None:
        self.zip.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def archive_label(source) -> str:
    """How to name the archive in messages: its file name when it has one."""
    name = source if isinstance(source, (str, os.PathLike)) else getattr(source, "name", None)
    return Path(name).name if name else "the archive"

"""Import an archive as an ImageFolder dataset, all or nothing.

Files are unpacked into a hidden staging folder inside the datasets directory (same filesystem, so the
final step is one atomic rename), judged one by one, and the result is checked as a whole; any failure,
even Ctrl-C, removes the staging folder, so a failed import leaves nothing behind and never touches an
existing dataset. Every path written is built from sanitised names, never from the archive's own paths."""
from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable

from ... import config
from ...classroom import access, class_config, quotas
from ...classroom.access import Actor
from ...classroom.users import as_actor
from . import metadata, names
from .archive import Archive, EntryError, archive_label
from .errors import DatasetError
from .images import BadImage, inspect_image
from .layout import Plan, plan_import
from .limits import Limits, size_text
from .ownership import DatasetAccessDenied, check_owner, may_see
from .stats import Stats

Progress = Callable[[int, int], None]
STAGING_PREFIX, TRASH_PREFIX = ".import-", ".trash-"
STALE_AFTER_S = 12 * 3600


@dataclass
class ImportResult:
    name: str
    path: Path
    stats: Stats
    report: dict  # layout, layout_reason, wrapper, imported, skipped [{file, reason}], ignored, renamed_classes, dropped_classes


def import_archive(source: str | os.PathLike | BinaryIO, name: str, *, owner: Actor | str | None = None,
                   replace: bool = False, progress: Progress | None = None, limits: Limits | None = None,
                   source_name: str | None = None) -> ImportResult:
    """Import a zip (path or binary file object) as dataset `name`; DatasetError says what is wrong.
    `owner`: the user importing (recorded as the dataset's owner), None for the server's command line."""
    limits = limits or Limits.from_env()
    class_limits = None if may_exceed_limits(owner) else class_config.current().limits
    name = names.dataset_name(name)
    root = config.datasets_dir()
    root.mkdir(parents=True, exist_ok=True)
    final = root / name
    if final.exists():
        if not may_see(final, owner):  # another student's private dataset: neither its owner nor that it exists
            raise DatasetAccessDenied(f"the name '{name}' cannot be used for a new dataset; choose another name")
        if not replace:
            how = ("with --replace" if access.acting() is None  # the command line; the page has a checkbox
                   else "by ticking \"Replace a dataset of mine with this name\"")
            raise DatasetError(f"a dataset named '{name}' already exists; choose another name, or replace it {how}")
        check_owner(final, owner, "replace")
    sweep_stale(root)
    label = source_name or archive_label(source)
    with Archive(source, limits, label) as archive:
        free = shutil.disk_usage(root).free
        if archive.unpacked_bytes > free:
            raise DatasetError(f"{label} unpacks to {size_text(archive.unpacked_bytes)} but only "
                               f"{size_text(free)} are free in "
                               f"{access.server_path(root, 'the datasets folder')}")
        if class_limits:
            _check_class_limits(name, archive.unpacked_bytes, 0, class_limits)
        plan = plan_import(archive)
        if class_limits:
            _check_class_limits(name, 0, len(plan.items), class_limits)
        staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{name}-", dir=root))
        try:
            stats, report = _unpack(archive, plan, staging, limits, progress)
            _check_classes(stats, report, limits)
            recorded = owner.user if isinstance(owner, Actor) else owner
            metadata.write(staging, metadata.new(name, recorded, label, stats=stats.to_dict(), report=report))
            _publish(staging, final, replace)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return ImportResult(name, final, stats, report)


def _unpack(archive: Archive, plan: Plan, staging: Path, limits: Limits, progress: Progress | None):
    stats, skipped = Stats(), list(plan.skipped)
    folders: dict[str, str] = {}        # archive's class name -> sanitised folder name
    owners: dict[str, str] = {}         # sanitised folder name -> the archive's class name that took it
    taken: dict[str, set[str]] = {}     # folder -> file names already used
    total = len(plan.items)
    if progress:
        progress(0, total)
    for done, item in enumerate(plan.items, start=1):
        folder = folders.get(item.label)
        if folder is None:
            folder = names.class_name(item.label)
            if folder is None:
                skipped.append({"file": item.member.path,
                                "reason": f"class name '{item.label}' has no usable characters"})
                _tick(progress, done, total)
                continue
            if folder in owners:
                raise DatasetError(f"classes '{owners[folder]}' and '{item.label}' would both be stored as "
                                   f"'{folder}'; rename one of them")
            folders[item.label], owners[folder] = folder, item.label
        try:
            data = archive.read(item.member)
            facts = inspect_image(data, limits.max_pixels)
        except (EntryError, BadImage) as err:
            skipped.append({"file": item.member.path, "reason": str(err)})
        else:
            target = _target(staging, folder, names.file_stem(item.member.parts[-1]), facts.suffix, taken)
            target.write_bytes(data)
            stats.add(folder, facts)
        _tick(progress, done, total)
    report = {"layout": plan.layout, "layout_reason": plan.reason, "wrapper": plan.wrapper,
              "imported": stats.images, "skipped": skipped,
              "ignored": plan.ignored,
              "renamed_classes": {raw: clean for raw, clean in folders.items() if raw != clean},
              "dropped_classes": sorted(set(owners) - set(stats.classes))}
    return stats, report


def may_exceed_limits(owner) -> bool:
    """The class's dataset limits bind students; instructors and the server's command line are trusted."""
    actor = as_actor(owner)
    return actor is None or actor.is_instructor


def _check_class_limits(name: str, size_bytes: int, images: int, limits) -> None:
    try:
        quotas.check_dataset_size(name, size_bytes, images, limits)
    except quotas.QuotaExceeded as err:
        raise DatasetError(str(err)) from None


def _tick(progress: Progress | None, done: int, total: int) -> None:
    if progress:
        progress(done, total)


def _target(staging: Path, folder: str, stem: str, suffix: str, taken: dict[str, set[str]]) -> Path:
    """A free file name in the class folder: `stem.ext`, else `stem-2.ext`, ... (the archive may repeat names)."""
    used = taken.setdefault(folder, set())
    candidate, n = f"{stem}{suffix}", 1
    while candidate.lower() in used:
        n += 1
        candidate = f"{stem}-{n}{suffix}"
    used.add(candidate.lower())
    directory = staging / folder
    directory.mkdir(exist_ok=True)
    target = directory / candidate
    if target.resolve().parent.parent != staging.resolve():  # sanitised names make this impossible; keep it so
        raise DatasetError(f"refusing to write {access.server_path(target, repr(candidate))}: outside the dataset "
                           "folder")
    return target


def _check_classes(stats: Stats, report: dict, limits: Limits) -> None:
    usable = dict(stats.classes)
    if len(usable) < 2:
        found = ", ".join(f"'{c}' ({n})" for c, n in usable.items()) or "none"
        raise DatasetError(f"a dataset needs at least 2 classes with images; found {len(usable)}: {found}. "
                           "Put each class's images in its own folder (cat/001.jpg, dog/002.jpg) or list them "
                           "in a `path,label` CSV", report)
    small = {c: n for c, n in usable.items() if n < limits.min_images_per_class}
    if small:
        listing = ", ".join(f"'{c}' has {n}" for c, n in sorted(small.items()))
        raise DatasetError(f"too few images: {listing}; each class needs at least {limits.min_images_per_class} "
                           "(DRAGDL_IMPORT_MIN_IMAGES_PER_CLASS)", report)


def _publish(staging: Path, final: Path, replace: bool) -> None:
    """Move the finished dataset into place in one rename; a replaced dataset is renamed away first and
    restored if the swap fails."""
    if final.exists() and replace:
        trash = final.with_name(f"{TRASH_PREFIX}{final.name}-{uuid.uuid4().hex[:8]}")
        os.rename(final, trash)
        try:
            os.rename(staging, final)
        except OSError:
            os.rename(trash, final)
            raise
        remove_tree(trash)
        return
    try:
        os.rename(staging, final)
    except OSError:
        raise DatasetError(f"a dataset named '{final.name}' appeared while importing; choose another name") from None


def remove_tree(path: Path) -> None:
    if path.is_symlink():
        path.unlink()
    else:
        shutil.rmtree(path, ignore_errors=True)


def sweep_stale(root: Path) -> None:
    """Remove staging and trash folders left by a process that was killed mid-import (SIGKILL, power loss)."""
    cutoff = time.time() - STALE_AFTER_S
    for path in root.iterdir():
        if path.name.startswith((STAGING_PREFIX, TRASH_PREFIX)) and path.is_dir():
            try:
                if path.stat().st_mtime < cutoff:
                    remove_tree(path)
            except OSError:
                continue

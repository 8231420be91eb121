"""datasets import | list | show | delete | demo | fetch: user image datasets and Paddle's downloads."""
from __future__ import annotations

import sys

from . import UserError
from ..stores import datasets as store
from ..imaging import FIXES
from .common import ProgressBar, add_json_option, print_json

SHOWN_SKIPS = 20


def _store_call(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except store.DatasetError as err:
        if err.report and err.report.get("skipped"):
            _print_skipped(err.report["skipped"], sys.stderr)
        raise UserError(err.message) from None
    except FileNotFoundError as err:
        raise UserError(f"{err.filename}: no such file") from None


def _print_skipped(skipped: list[dict], out) -> None:
    print(f"skipped {len(skipped)} file(s):", file=out)
    for entry in skipped[:SHOWN_SKIPS]:
        print(f"  {entry['file']}: {entry['reason']}", file=out)
    if len(skipped) > SHOWN_SKIPS:
        print(f"  ... and {len(skipped) - SHOWN_SKIPS} more (`datasets show NAME --json` lists all)", file=out)


def _print_import(result: store.ImportResult) -> None:
    classes = ", ".join(f"{c} {n}" for c, n in sorted(result.stats.classes.items()))
    print(f"imported '{result.name}': {len(result.stats.classes)} classes, {result.stats.images} images ({classes})")
    print(f"  in {result.path}; use it on the canvas as ImageFolder(name=\"{result.name}\")")
    if result.report.get("layout_reason"):
        print(f"  layout: {result.report['layout_reason']}")
    print(f"  read as a person sees them: {fixes_text(result.stats.fixes)}")
    if result.report["skipped"]:
        _print_skipped(result.report["skipped"], sys.stdout)


def cmd_import(args) -> int:
    result = _store_call(store.import_archive, args.zip, args.name, owner=args.owner, replace=args.replace,
                         progress=ProgressBar("importing"))
    _print_import(result)
    return 0


def cmd_demo(args) -> int:
    result = _store_call(store.write_demo, args.name, num_classes=args.classes, image_size=args.image_size,
                         per_class=args.per_class, replace=args.replace, owner=args.owner,
                         progress=ProgressBar("writing demo"))
    _print_import(result)
    return 0


def cmd_list(args) -> int:
    datasets = store.list_datasets()
    if args.json:
        print_json([d.to_dict() for d in datasets])
        return 0
    if not datasets:
        print("no datasets yet; import one with `python -m dragdl_core datasets import ZIP --name NAME`")
    for d in datasets:
        print(f"{d.name:<24} {len(d.classes):>3} classes {d.images:>7} images  "
              f"owner {d.owner or '-':<12} {d.created or ''}")
    return 0


def cmd_show(args) -> int:
    info = _store_call(store.describe, args.name)
    if args.json:
        print_json(info.to_dict())
        return 0
    print(f"{info.name}: {len(info.classes)} classes, {info.images} images, owner {info.owner or '-'}, "
          f"from {info.meta.get('source') or 'a folder made by hand'}")
    width = max(map(len, info.classes), default=5)
    for name, count in info.classes.items():
        print(f"  {name:<{width}} {count:>6}")
    for title, counter in (("sizes", info.stats.sizes), ("modes", info.stats.modes),
                           ("formats", info.stats.formats)):
        top = ", ".join(f"{k} ({v})" for k, v in counter.most_common(8))
        print(f"{title}: {top}" + (f", ... {len(counter) - 8} more" if len(counter) > 8 else ""))
    print(f"read as a person sees them: {fixes_text(info.stats.fixes)}")
    if info.report.get("layout_reason"):
        print(f"layout: {info.report['layout_reason']}")
    if info.report.get("skipped"):
        _print_skipped(info.report["skipped"], sys.stdout)
    return 0


def fixes_text(fixes) -> str:
    """`3 turned upright by their EXIF orientation, ...`: how many images needed each reading fix."""
    if not fixes:
        return "no image needed a fix"
    return ", ".join(f"{n} {FIXES.get(k, k)}" for k, n in sorted(fixes.items(), key=lambda kv: -kv[1]))


def cmd_delete(args) -> int:
    _store_call(store.delete, args.name, owner=args.owner)
    print(f"deleted dataset '{args.name}'")
    return 0


def cmd_share(args) -> int:
    _store_call(store.share, args.name, shared=not args.unshare)
    print(f"dataset '{args.name}' is {'private to its owner again' if args.unshare else 'shared with the class'}")
    return 0


def cmd_fetch(args) -> int:
    from ..runtime.fetch import FetchError, fetch  # imports Paddle: only for this command

    try:
        folder = fetch(args.name, timeout=args.timeout)
    except FetchError as err:
        raise UserError(str(err)) from None
    print(f"{args.name} is in {folder}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("datasets", help="import, list, show, delete user datasets; fetch Paddle's datasets")
    commands = p.add_subparsers(dest="datasets_command", required=True, metavar="ACTION")

    c = commands.add_parser("import", help="import a zip of class folders (or with a path,label CSV)")
    c.add_argument("zip")
    c.add_argument("--name", required=True, help="the dataset's name, used by ImageFolder(name=...)")
    c.add_argument("--replace", action="store_true", help="replace an existing dataset of that name")
    c.add_argument("--owner", help="record this user as the owner (default: none, managed from the server)")
    c.set_defaults(handler=cmd_import)

    c = commands.add_parser("demo", help="write a small dataset of synthetic shapes (works offline)")
    c.add_argument("name", nargs="?", default="shapes-demo")
    c.add_argument("--classes", type=int, default=3, choices=range(2, 9), metavar="2..8")
    c.add_argument("--image-size", type=int, default=32, choices=range(8, 257), metavar="8..256")
    c.add_argument("--per-class", type=int, default=100, choices=range(5, 5001), metavar="5..5000")
    c.add_argument("--replace", action="store_true")
    c.add_argument("--owner")
    c.set_defaults(handler=cmd_demo)

    c = commands.add_parser("list", help="the datasets with their class and image counts")
    add_json_option(c)
    c.set_defaults(handler=cmd_list)

    c = commands.add_parser("show", help="one dataset: class counts, image sizes and modes, import report")
    c.add_argument("name")
    add_json_option(c)
    c.set_defaults(handler=cmd_show)

    c = commands.add_parser("delete", help="delete a dataset")
    c.add_argument("name")
    c.add_argument("--owner", help="refuse unless this user owns it")
    c.set_defaults(handler=cmd_delete)

    c = commands.add_parser("share", help="share a dataset with the whole class (every student may train on it)")
    c.add_argument("name")
    c.add_argument("--unshare", action="store_true", help="make it private to its owner again")
    c.set_defaults(handler=cmd_share)

    c = commands.add_parser("fetch", help="download MNIST, FashionMNIST, Cifar10 or Flowers102 into Paddle's cache")
    c.add_argument("name", choices=["MNIST", "FashionMNIST", "Cifar10", "Flowers102"])
    c.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the network (default 10)")
    c.set_defaults(handler=cmd_fetch)

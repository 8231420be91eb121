"""models register FILE --name N | list | remove N: custom model families, used as Backbone archs.

Registering imports (runs) the file, so it is an instructor's command: the web app offers no way to do it."""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from . import UserError
from .. import backbones
from ..backbones import custom
from .common import add_json_option, print_json


def cmd_register(args) -> int:
    source = Path(args.file)
    if not source.is_file() or source.suffix != ".py":
        raise UserError(f"{source}: expected an existing Python file (.py)")
    name = args.name
    if not custom.NAME_PATTERN.fullmatch(name):
        raise UserError(f"'{name}' cannot name a model: lower-case letters, digits and _, starting with a letter, "
                        "2..40 characters")
    if name in backbones.builtin():
        raise UserError(f"'{name}' is a built-in arch; choose another name")
    final = custom.model_dir(name)
    if final.exists() and not args.replace:
        raise UserError(f"a model named '{name}' is registered already; pass --replace to overwrite it")

    staging = custom.models_dir() / f".{name}.{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        shutil.copyfile(source, staging / "model.py")
        from ..runtime.custom_models import ModelFileError, probe
        try:
            arch = probe(staging / "model.py", name, args.class_name, args.description)
        except ModelFileError as err:
            raise UserError(str(err)) from None
        extra = {"registered": time.strftime("%Y-%m-%d %H:%M:%S"), "file": str(source.resolve())}
        (staging / "arch.json").write_text(json.dumps(custom.to_json(arch, extra), indent=2),
                                           encoding="utf-8")
        if final.exists():
            shutil.rmtree(final)
        staging.rename(final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    arch = custom.read(final)
    print(f"registered {name}: {arch.constructor} from {source}, {arch.channels} features, "
          f"{len(arch.blocks)} blocks, inputs of at least {arch.min_size}x{arch.min_size} with "
          f"{arch.in_channels} channel(s); use it as Backbone arch '{name}'")
    return 0


def cmd_list(args) -> int:
    root = custom.models_dir()
    folders = sorted(p for p in root.iterdir() if p.is_dir() and custom.NAME_PATTERN.fullmatch(p.name)) \
        if root.is_dir() else []
    rows = []
    for folder in folders:
        try:
            rows.append({**custom.read(folder).to_doc(), "path": str(folder)})
        except ValueError as err:
            rows.append({"arch": folder.name, "path": str(folder), "error": str(err)})
    if args.json:
        print_json(rows)
    elif not rows:
        print(f"no custom models in {root}; register one with "
              "`python -m dragdl_core models register FILE --name N`")
    for row in [] if args.json else rows:
        if "error" in row:
            print(f"{row['arch']:<20} BROKEN: {row['error']}")
        else:
            print(f"{row['arch']:<20} {row['features']:>6} features, {len(row['blocks'])} blocks, "
                  f"min {row['min_size']}px, {row['parameters']:,} parameters  {row['description']}")
    return 0


def cmd_remove(args) -> int:
    folder = custom.model_dir(args.name)
    if not custom.NAME_PATTERN.fullmatch(args.name) or not folder.is_dir():
        raise UserError(f"no custom model named '{args.name}'")
    shutil.rmtree(folder)
    print(f"removed {args.name}; graphs using it as Backbone arch no longer validate")
    return 0


def register(sub) -> None:
    models = sub.add_parser("models", help="custom model families (instructors): register, list, remove")
    commands = models.add_subparsers(dest="models_command", required=True, metavar="SUBCOMMAND")

    p = commands.add_parser("register", help="register a Python file defining a paddle.nn.Layer with a "
                                             "`features` sublayer as Backbone arch NAME (runs the file)")
    p.add_argument("file")
    p.add_argument("--name", required=True)
    p.add_argument("--class", dest="class_name", help="the Layer class, when the file defines several")
    p.add_argument("--description", help="one line shown in the palette (default: the class docstring)")
    p.add_argument("--replace", action="store_true", help="overwrite a model of the same name")
    p.set_defaults(handler=cmd_register)

    p = commands.add_parser("list", help="registered custom models")
    add_json_option(p)
    p.set_defaults(handler=cmd_list)

    p = commands.add_parser("remove", help="unregister a custom model")
    p.add_argument("name")
    p.set_defaults(handler=cmd_remove)

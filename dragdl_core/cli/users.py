"""users add|list|remove|passwd|role|token: the accounts of a class (the users file named by its config).

    python -m dragdl_core users add ada --role student            # prints a generated password
    echo "$PW" | python -m dragdl_core users add grace --role instructor --password-stdin
    python -m dragdl_core users list [--json]
    python -m dragdl_core users remove ada
    python -m dragdl_core users token ada                         # prints a new REST API bearer token

The file is the one `--config FILE` (or DRAGDL_CONFIG) names, else <home>/users.yaml; `--file` overrides.
Run on the server by whoever runs the instance: the command line is trusted."""
from __future__ import annotations

import getpass
import sys

from . import UserError
from ..classroom import class_config
from ..classroom.users import UsersError, UsersFile, new_password
from .common import add_json_option, print_json


def _users(args) -> UsersFile:
    try:
        cfg = class_config.load(args.config) if args.config else class_config.current()
    except class_config.ConfigError as err:
        raise UserError(str(err)) from None
    return UsersFile(args.file, cfg.name) if args.file else UsersFile.of(cfg)


def _password(args, username: str) -> tuple[str, bool]:
    """(password, generated?): from stdin's first line, a prompt, or generated when stdin is not a terminal."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise UserError("--password-stdin: no password on standard input")
        return password, False
    if sys.stdin.isatty():
        first = getpass.getpass(f"password for {username} (empty: generate one): ")
        if not first:
            return new_password(), True
        if getpass.getpass("again: ") != first:
            raise UserError("the two passwords differ; nothing changed")
        return first, False
    return new_password(), True


def cmd_add(args) -> int:
    users = _users(args)
    try:
        password, generated = _password(args, args.username)
        account = users.add(args.username, args.role, password, name=args.name or "", email=args.email or "")
    except UsersError as err:
        raise UserError(str(err)) from None
    print(f"added {account.role} {account.username} to {users.path}")
    if generated:
        print(f"password: {password}")
    return 0


def cmd_passwd(args) -> int:
    users = _users(args)
    try:
        password, generated = _password(args, args.username)
        users.set_password(args.username, password)
    except UsersError as err:
        raise UserError(str(err)) from None
    print(f"new password set for {args.username.lower()}" + (f": {password}" if generated else ""))
    return 0


def cmd_token(args) -> int:
    """Print a new REST API token for the user; the previous one stops working (only a hash is kept)."""
    try:
        token = _users(args).rotate_token(args.username)
    except UsersError as err:
        raise UserError(str(err)) from None
    print(token)
    return 0


def cmd_role(args) -> int:
    try:
        _users(args).set_role(args.username, args.role)
    except UsersError as err:
        raise UserError(str(err)) from None
    print(f"{args.username.lower()} is now {'an' if args.role == 'instructor' else 'a'} {args.role}")
    return 0


def cmd_list(args) -> int:
    users = _users(args)
    try:
        accounts = users.accounts()
    except UsersError as err:
        raise UserError(str(err)) from None
    if args.json:
        print_json([{"username": a.username, "role": a.role, "name": a.name, "email": a.email}
                    for a in accounts])
    elif not accounts:
        print(f"no accounts in {users.path}" + ("" if users.exists() else " (it does not exist yet)"))
    else:
        for a in accounts:
            print(f"{a.username:<24} {a.role:<10} {a.name}" + (f" <{a.email}>" if a.email else ""))
    return 0


def cmd_remove(args) -> int:
    users = _users(args)
    try:
        users.remove(args.username)
    except UsersError as err:
        raise UserError(str(err)) from None
    print(f"removed {args.username.lower()}; their runs and datasets stay under the class's home")
    return 0


def _where(p) -> None:
    p.add_argument("--config", help="the class's configuration file (default $DRAGDL_CONFIG)")
    p.add_argument("--file", help="the users file itself (overrides --config)")


def _password_flag(p) -> None:
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password from the first line of standard input (default: prompt, or "
                        "generate and print one when not at a terminal)")


def register(sub) -> None:
    group = sub.add_parser("users", help="accounts of a class: add, list, remove, passwd, role, token")
    cmds = group.add_subparsers(dest="users_command", required=True, metavar="ACTION")

    p = cmds.add_parser("add", help="add an account")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=("student", "instructor"))
    p.add_argument("--name", help="full name shown in the app (default: the user name)")
    p.add_argument("--email")
    _password_flag(p)
    _where(p)
    p.set_defaults(handler=cmd_add)

    p = cmds.add_parser("list", help="list accounts (never their passwords)")
    add_json_option(p)
    _where(p)
    p.set_defaults(handler=cmd_list)

    p = cmds.add_parser("remove", help="delete an account (its runs stay)")
    p.add_argument("username")
    _where(p)
    p.set_defaults(handler=cmd_remove)

    p = cmds.add_parser("passwd", help="set a new password")
    p.add_argument("username")
    _password_flag(p)
    _where(p)
    p.set_defaults(handler=cmd_passwd)

    p = cmds.add_parser("token", help="print a new REST API token for the user (the old one stops working)")
    p.add_argument("username")
    _where(p)
    p.set_defaults(handler=cmd_token)

    p = cmds.add_parser("role", help="make an account a student or an instructor")
    p.add_argument("username")
    p.add_argument("role", choices=("student", "instructor"))
    _where(p)
    p.set_defaults(handler=cmd_role)

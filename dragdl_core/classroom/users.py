"""Accounts of a class: a YAML users file in streamlit-authenticator's format, so the app's sign-in reads it as is.

    credentials:
      usernames:
        ada:
          name: Ada Lovelace
          email: ada@example.org
          password: $2b$12$...        # bcrypt hash, never the password
          roles: [student]
    cookie: {name: dragdl-cs101, key: <random>, expiry_days: 1}

With no users file on a laptop the app runs in single-user mode: one user, LOCAL_USER, with instructor
rights over their own machine. A class (a config file) must have accounts; see class_config."""
from __future__ import annotations

import contextlib
import copy
import fcntl
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import yaml

from . import class_config
from .access import INSTRUCTOR, ROLES, STUDENT, Actor

LOCAL_USER = "local"
USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
USERNAME_RULE = "use 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit"
MIN_PASSWORD, MAX_PASSWORD_BYTES = 8, 72   # bcrypt ignores bytes after the 72nd: refuse rather than truncate
BCRYPT_ROUNDS = 12                         # ~0.2 s per sign-in; tests lower it
TOKEN_PREFIX, TOKEN_FIELD = "dgl_", "api_token"  # REST API bearer tokens: `users token NAME`


_parsed: dict[tuple, dict] = {}
_PROCESS_COOKIE_KEY = secrets.token_urlsafe(32)


class UsersError(ValueError):
    """A users file or an account request that cannot be used; one line naming the file or the user."""


@dataclass(frozen=True)
class Account:
    username: str
    name: str
    email: str
    role: str

    @property
    def actor(self) -> Actor:
        return Actor(self.username, self.role)


def check_username(raw: str) -> str:
    """The stored form of a user name (lower case: the sign-in form lowers what people type)."""
    name = (raw or "").strip().lower()
    if not USERNAME.fullmatch(name) or ".." in name:
        raise UsersError(f"invalid user name {raw!r}: {USERNAME_RULE}")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UsersError(f"unknown role {role!r}: use {' or '.join(ROLES)}")
    return role


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UsersError(f"password too short: use at least {MIN_PASSWORD} characters")
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise UsersError(f"password too long: at most {MAX_PASSWORD_BYTES} bytes")
    return password


def hash_password(password: str) -> str:
    return bcrypt.hashpw(check_password(password).encode(), bcrypt.gensalt(BCRYPT_ROUNDS)).decode()


def new_password() -> str:
    """A password to hand to a student: 12 characters, easy to type (no 0/O, 1/l)."""
    alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


def _role_of(entry: dict) -> str:
    roles = entry.get("roles") or []
    return INSTRUCTOR if INSTRUCTOR in roles else STUDENT


class UsersFile:
    """One users file. Every change is read-modify-write under a lock and replaces the file atomically
    (mode 600: it holds password hashes and the cookie key), so the app never reads half a file."""

    def __init__(self, path: str | Path | None = None, class_name: str | None = None):
        """The file at `path`, else the current class's; `class_name` names the sign-in cookie it creates."""
        cfg = class_config.current() if path is None or class_name is None else None
        self.path = Path(path) if path else cfg.users_path
        self.class_name = class_name or cfg.name

    @classmethod
    def of(cls, cfg: class_config.ClassConfig) -> "UsersFile":
        return cls(cfg.users_path, cfg.name)

    # reading

    def exists(self) -> bool:
        return self.path.is_file()

    def document(self) -> dict:
        """The whole YAML document ({} when the file does not exist yet); parsed again only when it changed,
        since every checked request asks for a role. Shared: read it, never change it (`_editing` copies)."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return {}
        except OSError as err:
            raise UsersError(f"cannot read users file {self.path}: {err.strerror}") from None
        key = (str(self.path), stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if key not in _parsed:
            _parsed.clear()
            _parsed[key] = self._parse()
        return _parsed[key]

    def _parse(self) -> dict:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as err:
            raise UsersError(f"cannot read users file {self.path}: {err}") from None
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            where = f" (line {mark.line + 1})" if mark else ""
            raise UsersError(f"users file {self.path} is not valid YAML{where}") from None
        credentials = data.get("credentials") or {} if isinstance(data, dict) else None
        if not isinstance(credentials, dict) or not isinstance(credentials.get("usernames") or {}, dict):
            raise UsersError(f"users file {self.path} must hold credentials: usernames: NAME: ... "
                             "(streamlit-authenticator's format)")
        return data

    def _entries(self, data: dict | None = None) -> dict[str, dict]:
        data = self.document() if data is None else data
        entries = (data.get("credentials") or {}).get("usernames") or {}
        for username, entry in entries.items():
            if not isinstance(entry, dict) or not isinstance(entry.get("password"), str):
                raise UsersError(f"users file {self.path}: user '{username}' needs a password hash")
        return entries

    def accounts(self) -> list[Account]:
        return [Account(str(u).lower(), e.get("name") or str(u), e.get("email") or "", _role_of(e))
                for u, e in sorted(self._entries().items())]

    def get(self, username: str) -> Account | None:
        try:
            username = check_username(username)
        except UsersError:
            return None
        return next((a for a in self.accounts() if a.username == username), None)

    def verify(self, username: str, password: str) -> Account | None:
        """The account when the password is right, else None (the command line and tests; the app's sign-in
        form does the same through streamlit-authenticator)."""
        account = self.get(username)
        if account is None:
            return None
        stored = next(e for u, e in self._entries().items() if str(u).lower() == account.username)["password"]
        try:
            return account if bcrypt.checkpw(password.encode(), stored.encode()) else None
        except ValueError:
            return None

    def account_for_token(self, token: str) -> Account | None:
        """The account whose REST API token this is (`users token NAME`), else None. Tokens are random
        (256 bits), so a SHA-256 of each is stored, never the token, and compared in constant time."""
        if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        digest = _token_digest(token)
        for username, entry in self._entries().items():
            stored = entry.get(TOKEN_FIELD)
            if isinstance(stored, str) and hmac.compare_digest(stored, digest):
                return self.get(str(username))
        return None

    def cookie(self) -> dict:
        """Sign-in cookie settings; written with a random key when the file is first created. A file written
        by hand without a key gets one for this process (never an empty key: it would let anyone forge
        the re-sign-in cookie); people then sign in again after a restart."""
        cookie = self.document().get("cookie") or {}
        return {"name": cookie.get("name", "dragdl"), "key": cookie.get("key") or _PROCESS_COOKIE_KEY,
                "expiry_days": cookie.get("expiry_days", 1)}

    def credentials(self) -> dict:
        """The `credentials` mapping streamlit-authenticator's Authenticate takes (a fresh copy each time)."""
        return {"usernames": copy.deepcopy(self._entries())}

    # changing

    @contextlib.contextmanager
    def _editing(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(f".{self.path.name}.lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data = copy.deepcopy(self.document())
            data.setdefault("credentials", {})
            data["credentials"] = data["credentials"] or {}
            data["credentials"]["usernames"] = data["credentials"].get("usernames") or {}
            data.setdefault("cookie", {"name": _cookie_name(self.class_name), "key": secrets.token_urlsafe(32),
                                       "expiry_days": 1})
            yield data
            self._write(data)

    def _write(self, data: dict) -> None:
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            yaml.safe_dump(data, f, sort_keys=False, allow_unicode=True)
        os.replace(tmp, self.path)

    def add(self, username: str, role: str, password: str, name: str = "", email: str = "") -> Account:
        username, role = check_username(username), check_role(role)
        hashed = hash_password(password)
        with self._editing() as data:
            users = data["credentials"]["usernames"]
            if username in {str(u).lower() for u in users}:
                raise UsersError(f"user '{username}' already exists; `users passwd {username}` sets a new password")
            users[username] = {"name": name or username, "email": email or "", "password": hashed,
                               "roles": [role]}
        return Account(username, name or username, email or "", role)

    def set_password(self, username: str, password: str) -> None:
        username = check_username(username)
        hashed = hash_password(password)
        with self._editing() as data:
            entry = self._find(data, username)
            entry["password"] = hashed

    def rotate_token(self, username: str) -> str:
        """A new REST API token for the user (the old one stops working); only its hash is stored."""
        username = check_username(username)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._editing() as data:
            self._find(data, username)[TOKEN_FIELD] = _token_digest(token)
        return token

    def set_role(self, username: str, role: str) -> None:
        username, role = check_username(username), check_role(role)
        with self._editing() as data:
            entry = self._find(data, username)
            if role == STUDENT:
                self._keep_an_instructor(data, username)
            entry["roles"] = [role]

    def remove(self, username: str) -> None:
        """Delete the account (its runs and datasets stay on disk for the instructor)."""
        username = check_username(username)
        with self._editing() as data:
            self._find(data, username)
            self._keep_an_instructor(data, username)
            users = data["credentials"]["usernames"]
            del users[next(u for u in users if str(u).lower() == username)]

    def _find(self, data: dict, username: str) -> dict:
        for key, entry in data["credentials"]["usernames"].items():
            if str(key).lower() == username:
                return entry
        raise UsersError(f"no user '{username}' in {self.path}")

    def _keep_an_instructor(self, data: dict, leaving: str) -> None:
        users = data["credentials"]["usernames"]
        others = [u for u, e in users.items() if str(u).lower() != leaving and _role_of(e) == INSTRUCTOR]
        if _role_of(self._find(data, leaving)) == INSTRUCTOR and not others and len(users) > 1:
            raise UsersError(f"'{leaving}' is the class's only instructor; add another instructor first")


def _token_digest(token: str) -> str:
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


def _cookie_name(class_name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", class_name.lower()).strip("-")
    return "dragdl" if slug in ("", "dragdl") else f"dragdl-{slug}"


def single_user_mode() -> bool:
    """True on a laptop with no accounts: everyone who reaches the app is LOCAL_USER, an instructor.
    A class (config file or DRAGDL_USERS) never is: without accounts its app refuses to sign anyone in."""
    cfg = class_config.current()
    if cfg.users_file_required:
        return False
    users = UsersFile.of(cfg)
    return not users.exists() or not users.accounts()


def actor_for(username: str | None) -> Actor | None:
    """The Actor the access policy checks, for a signed-in user name; None stays None (a trusted caller:
    the server's command line, a worker). A name without an account gets student rights, the least."""
    if username is None:
        return None
    if single_user_mode():
        return Actor(username, INSTRUCTOR if username == LOCAL_USER else STUDENT)
    account = UsersFile().get(username)
    return account.actor if account else Actor(username, STUDENT)


def as_actor(who: Actor | str | None) -> Actor | None:
    """What the services accept as the acting user: an Actor, a user name (its role looked up), or None
    (trusted: the server's command line, a worker)."""
    return who if isinstance(who, Actor) or who is None else actor_for(who)

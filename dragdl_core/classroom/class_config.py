"""The per-class configuration file: one TOML file describes one class's instance.

    name = "CS 101: Deep learning"
    home = "/srv/dragdl/cs101"          # runs, Redis data, logs, assignments (default: this file's folder)
    port = 8601
    address = "0.0.0.0"                 # listen on the network (default: this machine only)
    redis_url = ""                      # empty: an embedded Redis under home
    workers = 2
    max_load = 1.5                      # workers take no new task above 1.5 load per core or 90 % memory
    app_processes = 4                   # web app processes behind the proxy (default: one per core)
    domain = "dragdl.example.edu"       # serve HTTPS for this host (default: plain HTTP)
    users_file = "users.yaml"           # accounts; see `python -m dragdl_core users`

    [limits]
    max_tasks_per_user = 3              # queued + running, per student
    max_epochs = 30
    max_dataset_mb = 200
    max_dataset_images = 20000
    task_memory_mb = 3072
    task_time_minutes = 30

Every process of an instance reads it through `current()`: `up --config FILE` puts the file's path in
DRAGDL_CONFIG for the app and the workers it starts. Where a setting comes from, first match wins:

    command-line flag of `up` > the config file > environment variable > default (a laptop)

so a class file is never overridden by a variable left in the instructor's shell, and a laptop without any
file keeps working from the environment variables alone (see ENV_VARS). Pure core: no Streamlit, Redis or RQ.
"""
from __future__ import annotations

import logging
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

import dragdl_core

CONFIG_ENV = "DRAGDL_CONFIG"
REPO_ROOT = Path(dragdl_core.__file__).resolve().parent.parent  # the checkout, wherever this module sits

log = logging.getLogger("dragdl.config")


class ConfigError(ValueError):
    """The configuration file cannot be used; one line naming the file and the key."""


def host_name(value: str) -> str:
    """A host name for HTTPS (`domain`), lower-cased; "" for none. ValueError saying what a host name is."""
    value = value.strip().lower()
    if value and not re.fullmatch(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?", value):
        raise ValueError("must be a host name such as dragdl.example.edu (no scheme, port or path)")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Limits(_Strict):
    """What one student may ask of the shared machine. The defaults bind nobody on a laptop."""
    max_tasks_per_user: int = Field(10, ge=1, le=10_000, description="queued + running tasks per user")
    max_epochs: int = Field(1000, ge=1, le=1000, description="epochs a Trainer may ask for")
    max_dataset_mb: int = Field(4096, ge=1, le=1_000_000, description="size of one imported dataset, unpacked")
    max_dataset_images: int = Field(50_000, ge=10, le=10_000_000, description="images in one dataset")
    task_memory_mb: int = Field(4096, ge=64, le=1_000_000, description="memory of one training task")
    task_time_minutes: float = Field(240, gt=0, le=525_600, description="wall time of one training task")

    @property
    def task_time_seconds(self) -> int:
        return max(1, round(self.task_time_minutes * 60))


class ClassConfig(_Strict):
    """The settings of one instance, paths absolute. `source` is the file they came from (None: defaults)."""
    name: str = Field("DragDL", min_length=1, max_length=100)
    home: Path = REPO_ROOT / "var"
    datasets: Path | None = None          # None: <home>/datasets with a file, datasets/ in the checkout without
    port: int = Field(8501, ge=1, le=65535)
    address: str = Field("localhost", min_length=1, max_length=255)
    redis_url: str = ""
    workers: int | None = Field(None, ge=1, le=256)   # None: one per core
    max_load: float | str | None = None   # workers take no task above it: "LOAD_PER_CORE[,MEMORY_PERCENT]"
    app_processes: int | None = Field(None, ge=1, le=64)  # None: one per core
    domain: str = Field("", max_length=253)   # set: the proxy serves HTTPS for this host name
    tls: str = "acme"                     # with domain: acme (public certificates) or internal (Caddy's CA)
    users_file: Path | None = None        # None: <home>/users.yaml
    limits: Limits = Limits()
    _source: Path | None = PrivateAttr(None)

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, url: str) -> str:
        url = url.strip()
        if url and not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix:// (or be empty for the embedded Redis)")
        return url

    @field_validator("max_load")
    @classmethod
    def _max_load(cls, value):
        from ..serving.hostload import parse

        try:
            limit = parse(value)
        except ValueError as err:
            raise ValueError(str(err).split(", got ")[0].replace("max_load: ", "")) from None
        return str(limit) if limit else None

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        return host_name(value)

    @field_validator("tls")
    @classmethod
    def _tls(cls, value: str) -> str:
        if value not in ("acme", "internal"):
            raise ValueError("must be acme (certificates from Let's Encrypt) or internal (Caddy's own CA)")
        return value

    @property
    def source(self) -> Path | None:
        return self._source

    @property
    def datasets_dir(self) -> Path:
        return self.datasets or (self.home / "datasets" if self.source else REPO_ROOT / "datasets")

    @property
    def users_path(self) -> Path:
        return self.users_file or self.home / "users.yaml"

    @property
    def assignments_dir(self) -> Path:
        return self.home / "assignments"

    @property
    def users_file_required(self) -> bool:
        """A class (a config file, or DRAGDL_USERS) must have accounts: a missing users file is an error there,
        not an open door. Only a laptop without either runs in single-user mode."""
        return self.source is not None or self.users_file is not None

    def environment(self) -> dict[str, str]:
        """Variables for the processes `up` starts, so code that reads the environment agrees with the file."""
        env = {"DRAGDL_HOME": str(self.home), "DRAGDL_DATASETS": str(self.datasets_dir),
               "DRAGDL_TASK_MEMORY_MB": str(self.limits.task_memory_mb),
               "DRAGDL_TASK_TIME_LIMIT": str(self.limits.task_time_seconds)}
        if self.users_file:
            env["DRAGDL_USERS"] = str(self.users_file)
        if self.source:
            env[CONFIG_ENV] = str(self.source)
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        return env


# Environment variables that stand in for keys a file leaves out (and for the whole file on a laptop).
ENV_VARS = {
    "home": "DRAGDL_HOME",
    "datasets": "DRAGDL_DATASETS",
    "redis_url": "REDIS_URL",
    "users_file": "DRAGDL_USERS",
    "limits.task_memory_mb": "DRAGDL_TASK_MEMORY_MB",
    "limits.task_time_minutes": "DRAGDL_TASK_TIME_LIMIT",  # in seconds, as the task service reads it
}
_PATH_KEYS = ("home", "datasets", "users_file")


def _one_line(err: ValidationError, label: str, origins: dict[str, str]) -> str:
    first = err.errors()[0]
    key = ".".join(str(p) for p in first["loc"]) or "(file)"
    if first["type"] == "extra_forbidden":
        section = ClassConfig if len(first["loc"]) == 1 else Limits
        return f"{label}: unknown key '{key}' (known keys: {', '.join(section.model_fields)})"
    message = first["msg"].replace("Input should be", "must be").replace("Value error, ", "").split(", unable")[0]
    where = f"{origins[key]} (for {key})" if key in origins else f"{label}: {key}"
    return f"{where}: {message}, got {first.get('input')!r}"


def _from_environment(data: dict[str, Any], environ) -> dict[str, str]:
    """Fill, in place, the keys the file leaves out from the environment; returns key -> variable used."""
    origins = {}
    for key, var in ENV_VARS.items():
        value = (environ.get(var) or "").strip()
        section, _, name = key.rpartition(".")
        target = data.setdefault(section, {}) if section else data
        if not value or name in target:
            continue
        if var == "DRAGDL_TASK_TIME_LIMIT":
            try:
                value = str(float(value) / 60)
            except ValueError:
                pass  # validation names the variable and the bad value
        target[name] = value
        origins[key] = var
    return origins


def _path(value: Any, base: Path) -> Any:
    if not isinstance(value, str):
        return value
    if not value.strip():
        return None
    path = Path(value).expanduser()
    return (path if path.is_absolute() else base / path).resolve()


def build(data: dict[str, Any], source: Path | None = None, environ=None) -> ClassConfig:
    """A ClassConfig from decoded TOML (or {}), the environment filling what it leaves out."""
    environ = os.environ if environ is None else environ
    label = str(source) if source else "configuration"
    if not isinstance(data.get("limits", {}), dict):
        raise ConfigError(f"{label}: limits must be a table ([limits]), got {data['limits']!r}")
    data = {**data, "limits": dict(data.get("limits", {}))}
    origins = _from_environment(data, environ)
    for key in _PATH_KEYS:
        # Paths written in the file are relative to the file; paths from the environment to the working folder.
        base = source.parent if source and key not in origins else Path.cwd()
        if key in data:
            data[key] = _path(data[key], base)
    if "home" in data and data["home"] is None:
        raise ConfigError(f"{label}: home: must name a folder, got ''")
    if source and "home" not in data:
        data["home"] = source.parent  # a class's folder holds its file and everything else
    try:
        cfg = ClassConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_one_line(err, label, origins)) from None
    cfg._source = source
    return cfg


def load(path: str | Path, environ=None) -> ClassConfig:
    """Read and check a class file; ConfigError (one line naming the file and key) if it cannot be used."""
    path = Path(path).expanduser().resolve()
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"no such configuration file: {path}") from None
    except IsADirectoryError:
        raise ConfigError(f"{path} is a folder; give the class's .toml file") from None
    except OSError as err:
        raise ConfigError(f"cannot read {path}: {err.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from None
    return build(data, source=path, environ=environ)


_cache: dict[tuple, ClassConfig] = {}
_last_good: dict[str, ClassConfig] = {}


def _cache_key(path: str) -> tuple:
    try:
        stat = os.stat(path)
        stamp = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        stamp = None
    return (path, stamp) + tuple(os.environ.get(v, "") for v in ENV_VARS.values())


def current() -> ClassConfig:
    """The configuration this process runs under: the file in DRAGDL_CONFIG, else defaults and env vars.

    Re-read when the file changes, so new limits apply to the next request or task without a restart
    (home, port, Redis and workers need `up` to restart). A file broken while the instance runs keeps the
    last good settings and logs why; a file broken from the start raises ConfigError."""
    path = (os.environ.get(CONFIG_ENV) or "").strip()
    key = _cache_key(path)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    try:
        cfg = load(path) if path else build({})
    except ConfigError as err:
        if path not in _last_good:
            raise
        log.warning("%s; keeping the settings read before", err)
        cfg = _last_good[path]  # and remembered for this version of the file: one warning, not one per call
    else:
        _last_good[path] = cfg
    _cache.clear()
    _cache[key] = cfg
    return cfg


def without_password(url: str) -> str:
    """A Redis URL fit for messages and logs: its password masked."""
    return re.sub(r"//([^:@/]*):[^@/]*@", r"//\1:***@", url)


def describe(cfg: ClassConfig) -> list[tuple[str, str]]:
    """(setting, value) rows for `up` to print and the instructor page to show."""
    limits = cfg.limits
    return [("class", cfg.name), ("config", str(cfg.source or "(none: defaults and environment)")),
            ("home", str(cfg.home)), ("datasets", str(cfg.datasets_dir)), ("users", str(cfg.users_path)),
            ("web app", f"http://{cfg.address}:{cfg.port}"),
            ("redis", without_password(cfg.redis_url) or "embedded"),
            ("workers", str(cfg.workers or "one per core")
             + (f", no new task above load {cfg.max_load.replace(',', ' per core or ')}% memory"
                if cfg.max_load else "")),
            ("app", f"{cfg.app_processes or 'one per core'} process(es) behind Caddy"
             + (f", HTTPS for {cfg.domain} ({cfg.tls})" if cfg.domain else "")),
            ("limits", f"{limits.max_tasks_per_user} tasks queued or running per student, {limits.max_epochs} "
                       f"epochs, datasets up to {limits.max_dataset_mb} MB and {limits.max_dataset_images:,} "
                       f"images, {limits.task_memory_mb} MB and {limits.task_time_minutes:g} min per task")]

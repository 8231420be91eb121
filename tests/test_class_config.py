"""The per-class configuration file: defaults for a laptop, one clear line for every mistake, and a file
that wins over variables left in the shell."""
import os
import time

import pytest

from dragdl_core.classroom import class_config
from dragdl_core.classroom.class_config import ConfigError, current, load

CLASS_FILE = """
name = "CS 101"
home = "cs101"
port = 8601
address = "0.0.0.0"
workers = 2
users_file = "accounts.yaml"

[limits]
max_tasks_per_user = 3
max_epochs = 30
max_dataset_mb = 200
max_dataset_images = 20000
task_memory_mb = 3072
task_time_minutes = 30
"""


@pytest.fixture
def class_dir(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    return folder


def write(folder, text, name="class.toml"):
    path = folder / name
    path.write_text(text)
    return path


def test_a_class_file_sets_every_setting_with_paths_relative_to_the_file(class_dir, monkeypatch):
    monkeypatch.chdir("/")
    monkeypatch.delenv("DRAGDL_DATASETS")
    cfg = load(write(class_dir, CLASS_FILE))
    assert cfg.name == "CS 101" and cfg.port == 8601 and cfg.workers == 2 and cfg.address == "0.0.0.0"
    assert cfg.home == class_dir / "cs101"
    assert cfg.users_path == class_dir / "accounts.yaml"
    assert cfg.datasets_dir == class_dir / "cs101" / "datasets"
    assert cfg.assignments_dir == class_dir / "cs101" / "assignments"
    assert cfg.limits.max_tasks_per_user == 3 and cfg.limits.max_epochs == 30
    assert cfg.users_file_required


def test_without_a_file_the_defaults_suit_a_laptop(monkeypatch, isolated_home):
    monkeypatch.delenv("DRAGDL_CONFIG", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    cfg = current()
    assert cfg.source is None and cfg.home == isolated_home      # DRAGDL_HOME from the test fixture
    assert cfg.address == "localhost" and cfg.redis_url == ""
    assert cfg.limits.max_epochs == 1000        # the Trainer's own bound: no extra limit
    assert not cfg.users_file_required


def test_the_file_wins_over_environment_variables_which_fill_what_it_leaves_out(class_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("DRAGDL_HOME", str(tmp_path / "from-env"))
    monkeypatch.setenv("REDIS_URL", "redis://env-host:6379/0")
    monkeypatch.setenv("DRAGDL_TASK_MEMORY_MB", "1234")
    cfg = load(write(class_dir, 'home = "here"\nredis_url = ""\n'))
    assert cfg.home == class_dir / "here"          # the file's key
    assert cfg.redis_url == ""                      # the file's (empty = embedded) beats REDIS_URL
    assert cfg.limits.task_memory_mb == 1234        # the file is silent: the variable fills in

    cfg = load(write(class_dir, 'name = "no home"\n', "other.toml"))
    assert cfg.home == tmp_path / "from-env"


def test_a_class_file_without_home_keeps_everything_in_its_own_folder(class_dir, monkeypatch):
    monkeypatch.delenv("DRAGDL_HOME")
    cfg = load(write(class_dir, 'name = "small class"\n'))
    assert cfg.home == class_dir and cfg.users_path == class_dir / "users.yaml"


@pytest.mark.parametrize("text, expected", [
    ("[limits]\nmax_epochs = 0\n", "limits.max_epochs: must be greater than or equal to 1, got 0"),
    ("limts = 3\n", "unknown key 'limts'"),
    ("[limits]\nmax_epoch = 3\n", "unknown key 'limits.max_epoch'"),
    ('port = "web"\n', "port: must be a valid integer, got 'web'"),
    ("port = 70000\n", "port: must be less than or equal to 65535"),
    ('redis_url = "localhost:6379"\n', "redis_url: must start with redis://"),
    ('name = "unterminated\n', "not valid TOML"),
    ("limits = 3\n", "limits must be a table"),
    ('home = ""\n', "home: must name a folder"),
])
def test_every_mistake_is_one_line_naming_the_file_and_the_key(class_dir, text, expected):
    path = write(class_dir, text)
    with pytest.raises(ConfigError) as err:
        load(path)
    message = str(err.value)
    assert expected in message and "\n" not in message
    assert str(path) in message


def test_a_bad_environment_variable_is_named(monkeypatch):
    monkeypatch.setenv("DRAGDL_TASK_MEMORY_MB", "lots")
    with pytest.raises(ConfigError, match="DRAGDL_TASK_MEMORY_MB.*got 'lots'"):
        class_config.build({})


def test_a_missing_file_says_so(tmp_path):
    with pytest.raises(ConfigError, match="no such configuration file"):
        load(tmp_path / "nope.toml")


def test_current_follows_DRAGDL_CONFIG_and_rereads_a_changed_file(class_dir, monkeypatch):
    path = write(class_dir, CLASS_FILE)
    monkeypatch.setenv("DRAGDL_CONFIG", str(path))
    assert current().limits.max_epochs == 30
    time.sleep(0.01)
    path.write_text(CLASS_FILE.replace("max_epochs = 30", "max_epochs = 12"))
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert current().limits.max_epochs == 12


def test_a_file_broken_while_running_keeps_the_last_good_settings(class_dir, monkeypatch):
    path = write(class_dir, CLASS_FILE)
    monkeypatch.setenv("DRAGDL_CONFIG", str(path))
    assert current().limits.max_epochs == 30
    path.write_text(CLASS_FILE.replace("max_epochs = 30", "max_epochs = -1"))
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 2 * 10**9))
    assert current().limits.max_epochs == 30


def test_a_file_broken_from_the_start_is_an_error(class_dir, monkeypatch):
    monkeypatch.setenv("DRAGDL_CONFIG", str(write(class_dir, "workers = 0\n")))
    with pytest.raises(ConfigError, match="workers"):
        current()


def test_children_get_an_environment_that_agrees_with_the_file(class_dir, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    cfg = load(write(class_dir, CLASS_FILE))
    env = cfg.environment()
    assert env["DRAGDL_CONFIG"] == str(class_dir / "class.toml")
    assert env["DRAGDL_HOME"] == str(class_dir / "cs101")
    assert env["DRAGDL_TASK_MEMORY_MB"] == "3072" and env["DRAGDL_TASK_TIME_LIMIT"] == "1800"
    assert "REDIS_URL" not in env                       # embedded: `up` starts one and sets it
    assert load(env["DRAGDL_CONFIG"], environ=env) == cfg   # what a child reads: the same settings


def test_the_example_class_file_is_valid(monkeypatch):
    from conftest import EXAMPLES

    cfg = load(EXAMPLES / "class.toml")
    assert cfg.address == "0.0.0.0" and cfg.limits.max_tasks_per_user == 3
    assert cfg.users_path == (EXAMPLES / "../var/cs101/users.yaml").resolve() and cfg.users_file_required


def test_a_broken_file_is_reported_once_per_edit(class_dir, monkeypatch, caplog):
    path = write(class_dir, CLASS_FILE)
    monkeypatch.setenv("DRAGDL_CONFIG", str(path))
    current()
    path.write_text("workers = 0\n")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 3 * 10**9))
    for _ in range(5):
        assert current().workers == 2
    assert [r.message for r in caplog.records].count(caplog.records[0].message) == 1
    assert "workers" in caplog.records[0].message

"""Accounts: a users file streamlit-authenticator can read, managed from the command line, with passwords
stored only as bcrypt hashes; single-user mode only on a laptop without accounts."""
import io
import json
import stat

import pytest
import yaml

from dragdl_core.classroom import users
from dragdl_core.classroom.access import INSTRUCTOR, STUDENT, Actor
from dragdl_core.cli import main
from dragdl_core.classroom.users import LOCAL_USER, UsersError, UsersFile, actor_for, single_user_mode


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch):
    monkeypatch.setattr(users, "BCRYPT_ROUNDS", 4)


def run(capsys, monkeypatch, *argv, stdin=""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_users_add_stores_a_bcrypt_hash_that_the_sign_in_library_accepts(capsys, monkeypatch, isolated_home):
    from streamlit_authenticator.utilities import Hasher

    code, out, _ = run(capsys, monkeypatch, "users", "add", "ada", "--role", "student", "--name", "Ada L",
                       "--password-stdin", stdin="correct horse\n")
    assert code == 0 and "added student ada" in out
    path = isolated_home / "users.yaml"
    text = path.read_text()
    assert "correct horse" not in text
    entry = yaml.safe_load(text)["credentials"]["usernames"]["ada"]
    assert entry["roles"] == ["student"] and entry["name"] == "Ada L"
    assert Hasher.is_hash(entry["password"]) and Hasher.check_pw("correct horse", entry["password"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600          # hashes and the cookie key: owner only
    assert UsersFile().verify("ada", "correct horse").role == STUDENT
    assert UsersFile().verify("ada", "wrong horse!") is None


def test_without_a_password_one_is_generated_and_printed_once(capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, "users", "add", "Bob", "--role", "instructor")
    password = out.split("password: ")[1].strip()
    assert code == 0 and len(password) >= 12
    assert UsersFile().verify("bob", password).role == INSTRUCTOR       # stored lower case, as sign-in types it


def test_list_remove_passwd_and_role(capsys, monkeypatch):
    run(capsys, monkeypatch, "users", "add", "ada", "--role", "student", "--password-stdin", stdin="password-1\n")
    run(capsys, monkeypatch, "users", "add", "grace", "--role", "instructor", "--password-stdin", stdin="password-2\n")
    code, out, _ = run(capsys, monkeypatch, "users", "list", "--json")
    listed = json.loads(out)
    assert [(u["username"], u["role"]) for u in listed] == [("ada", "student"), ("grace", "instructor")]
    assert "password" not in out

    run(capsys, monkeypatch, "users", "passwd", "ada", "--password-stdin", stdin="password-3\n")
    assert UsersFile().verify("ada", "password-3") and not UsersFile().verify("ada", "password-1")

    run(capsys, monkeypatch, "users", "role", "ada", "instructor")
    assert UsersFile().get("ada").role == INSTRUCTOR

    code, out, _ = run(capsys, monkeypatch, "users", "remove", "ada")
    assert code == 0 and [a.username for a in UsersFile().accounts()] == ["grace"]


@pytest.mark.parametrize("argv, stdin, message", [
    (["users", "add", "../etc", "--role", "student"], "", "invalid user name '../etc'"),
    (["users", "add", "ada", "--role", "student", "--password-stdin"], "short\n", "at least 8 characters"),
    (["users", "add", "ada", "--role", "student", "--password-stdin"], "", "no password on standard input"),
    (["users", "add", "ada", "--role", "student", "--password-stdin"], "x" * 80 + "\n", "at most 72 bytes"),
    (["users", "remove", "nobody"], "", "no user 'nobody'"),
])
def test_mistakes_are_one_line_and_exit_2(capsys, monkeypatch, argv, stdin, message):
    code, out, err = run(capsys, monkeypatch, *argv, stdin=stdin)
    assert code == 2 and message in err and err.count("\n") == 1 and "Traceback" not in err


def test_adding_an_existing_user_changes_nothing(capsys, monkeypatch):
    run(capsys, monkeypatch, "users", "add", "ada", "--role", "student", "--password-stdin", stdin="password-1\n")
    code, _, err = run(capsys, monkeypatch, "users", "add", "ADA", "--role", "instructor", "--password-stdin",
                       stdin="password-2\n")
    assert code == 2 and "already exists" in err
    assert UsersFile().verify("ada", "password-1").role == STUDENT


def test_the_last_instructor_cannot_be_removed_or_demoted_while_students_remain(capsys, monkeypatch):
    run(capsys, monkeypatch, "users", "add", "grace", "--role", "instructor", "--password-stdin", stdin="password-1\n")
    run(capsys, monkeypatch, "users", "add", "ada", "--role", "student", "--password-stdin", stdin="password-2\n")
    for argv in (["users", "remove", "grace"], ["users", "role", "grace", "student"]):
        code, _, err = run(capsys, monkeypatch, *argv)
        assert code == 2 and "only instructor" in err
    assert UsersFile().get("grace").role == INSTRUCTOR


def test_the_users_file_comes_from_the_class_config(capsys, monkeypatch, tmp_path):
    config = tmp_path / "cs101.toml"
    config.write_text('name = "CS 101"\nhome = "home"\nusers_file = "accounts.yaml"\n')
    run(capsys, monkeypatch, "users", "add", "ada", "--role", "student", "--config", str(config))
    assert "ada" in yaml.safe_load((tmp_path / "accounts.yaml").read_text())["credentials"]["usernames"]
    assert yaml.safe_load((tmp_path / "accounts.yaml").read_text())["cookie"]["name"] == "dragdl-cs-101"


def test_a_broken_users_file_is_one_clear_error_and_is_not_overwritten(capsys, monkeypatch, isolated_home):
    path = isolated_home / "users.yaml"
    path.write_text("credentials: [not, a, mapping\n")
    code, _, err = run(capsys, monkeypatch, "users", "add", "ada", "--role", "student")
    assert code == 2 and "not valid YAML (line" in err
    assert path.read_text() == "credentials: [not, a, mapping\n"
    path.write_text("credentials:\n  usernames:\n    ada: {name: Ada}\n")
    code, _, err = run(capsys, monkeypatch, "users", "list")
    assert code == 2 and "user 'ada' needs a password hash" in err
    path.write_text("credentials: [ada, bob]\n")
    code, _, err = run(capsys, monkeypatch, "users", "list")
    assert code == 2 and "must hold credentials: usernames: NAME" in err


def test_a_hand_written_file_without_a_cookie_key_never_gets_an_empty_one(isolated_home):
    from dragdl_core.classroom.users import hash_password

    (isolated_home / "users.yaml").write_text(
        f"credentials:\n  usernames:\n    Ada:\n      password: '{hash_password('password-1')}'\n")
    assert len(UsersFile().cookie()["key"]) >= 32
    assert UsersFile().verify("ada", "password-1").username == "ada"     # a capitalised key still signs in


def test_a_laptop_without_accounts_is_single_user_with_instructor_rights(monkeypatch):
    monkeypatch.delenv("DRAGDL_CONFIG", raising=False)
    assert single_user_mode()
    assert actor_for(LOCAL_USER) == Actor(LOCAL_USER, INSTRUCTOR)
    UsersFile().add("ada", "student", "password-1")
    assert not single_user_mode()
    assert actor_for("ada") == Actor("ada", STUDENT)
    assert actor_for(LOCAL_USER) == Actor(LOCAL_USER, STUDENT)   # no such account: the least rights


def test_a_class_is_never_single_user_even_before_accounts_exist(monkeypatch, tmp_path):
    config = tmp_path / "class.toml"
    config.write_text('name = "CS 101"\n')
    monkeypatch.setenv("DRAGDL_CONFIG", str(config))
    assert not (tmp_path / "users.yaml").exists()
    assert not single_user_mode()
    assert actor_for(LOCAL_USER).role == STUDENT


def test_changes_are_seen_at_once_by_a_reader(monkeypatch):
    reader = UsersFile()
    assert reader.get("ada") is None
    UsersFile().add("ada", "student", "password-1")
    assert reader.get("ada").role == STUDENT
    UsersFile().set_role("ada", "instructor")
    assert reader.get("ada").role == INSTRUCTOR


def test_roles_and_names_are_checked():
    with pytest.raises(UsersError, match="unknown role 'admin'"):
        UsersFile().add("ada", "admin", "password-1")
    with pytest.raises(UsersError, match="invalid user name"):
        UsersFile().add("a/b", "student", "password-1")

"""The app in a class, through Streamlit's AppTest (the real scripts and task service, no browser): sign-in,
what a student sees of other students' tasks and datasets (nothing), and the instructor's Class page."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from classroom import PASSWORD, classroom  # noqa: F401  (fixture)
from conftest import ROOT
from dataset_archives import class_files, write_zip
from dragdl_core import tasks
from dragdl_core.classroom import assignments
from dragdl_core.stores import datasets as datasets_store
from task_service import redis_server, tiny_graph  # noqa: F401  (fixture)
from ui_fixtures import displayed

pytestmark = pytest.mark.timeout(300)


def app_as(user: str | None, page: str = "build") -> AppTest:
    """The app with `user` signed in (as streamlit-authenticator leaves the session), on `page`."""
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=120)
    if user:
        at.session_state["authentication_status"] = True
        at.session_state["username"] = user
    at.run()
    if page != "build":
        at.switch_page(f"../pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def test_a_class_asks_everyone_to_sign_in(classroom):
    at = app_as(None)
    assert [t.label for t in at.text_input] == ["User name", "Password"] and not at.sidebar.button
    at.text_input[0].input("ada")
    at.text_input[1].input("not the password")
    at.button[0].click()
    at.run()
    assert "Wrong user name or password." in texts(at.error)
    at.text_input[0].input("ada")
    at.text_input[1].input(PASSWORD)
    at.button[0].click()
    at.run()
    assert not at.exception and [t.value for t in at.title] == ["Build"]
    assert "Signed in as **ada** (student)" in texts(at.sidebar.caption)


def test_a_removed_account_is_signed_out(classroom):
    from dragdl_core.classroom.users import UsersFile

    UsersFile().remove("bob")
    at = app_as("bob")
    assert [t.label for t in at.text_input] == ["User name", "Password"]


def test_only_instructors_get_the_class_page(classroom):
    student = app_as("ada")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        student.switch_page("../pages/instructor.py")
    direct = AppTest.from_file(str(ROOT / "pages" / "instructor.py"), default_timeout=60)
    direct.session_state["authentication_status"] = True
    direct.session_state["username"] = "ada"
    direct.run()
    assert "Only an instructor may see this page." in texts(direct.error)
    instructor = app_as("grace", "instructor")
    assert [t.value for t in instructor.title] == ["Class"]


def test_a_student_sees_only_their_own_tasks(redis_server, classroom):
    mine = tasks.submit(tiny_graph(), "ada", actor="ada")
    theirs = tasks.submit(tiny_graph(), "bob", actor="bob")
    at = app_as("ada", "tasks")
    shown = at.dataframe[0].value["task"].tolist()
    assert shown == [mine] and theirs not in texts(at.selectbox)


def test_the_class_page_lists_every_task_and_stops_any(redis_server, classroom):
    adas = tasks.submit(tiny_graph(), "ada", actor="ada")
    bobs = tasks.submit(tiny_graph(), "bob", actor="bob")
    at = app_as("grace", "instructor")
    table = next(d.value for d in at.dataframe if "student" in d.value.columns and "task" in d.value.columns)
    assert dict(zip(table["task"], table["student"])) == {adas: "ada", bobs: "bob"}
    assert [m.value for m in at.metric][:2] == ["2", "0"]                   # queued, running
    at.selectbox(key="stop_choice").select(next(o for o in at.selectbox(key="stop_choice").options if bobs in o))
    at.button(key="stop_any").click().run()
    assert not at.exception, at.exception
    assert tasks.status(bobs)["state"] == "stopped" and tasks.status(adas)["state"] == "queued"


def test_publishing_an_assignment_offers_it_to_students(redis_server, classroom):
    at = app_as("grace", "instructor")
    source = at.selectbox(key="template_source")
    source.select(next(o for o in source.options if "digits-cnn.json" in o))
    at.text_input(key="assignment_title").input("Lab 1: digits")
    at.text_area(key="assignment_description").input("Reach 95% test accuracy.")
    at.button[[b.label for b in at.button].index("Publish to the class")].click().run()
    assert not at.exception, at.exception
    assert "Published **Lab 1: digits**" in texts(at.success)
    assert [a.name for a in assignments.list_assignments()] == ["lab-1-digits"]
    student = app_as("ada")
    template = student.selectbox(key="template")
    assert "assignment: Lab 1: digits" in template.options
    template.select("assignment: Lab 1: digits").run()
    assert student.session_state["graph"]["name"] == "lab-1-digits"
    assert "Assignment **lab-1-digits**" in texts(student.caption)
    student.text_input[0].input("my own take").run()                      # a rename keeps the assignment
    next(b for b in student.button if b.label == "Train").click().run()
    assert not student.exception, student.exception
    [submitted] = tasks.list_tasks(actor="ada")
    assert (submitted["graph_name"], submitted["assignment"]) == ("my own take", "lab-1-digits")
    assert assignments.counted_for(submitted) == "lab-1-digits"            # and a copy opened from it


def test_a_copy_opened_from_an_assignment_task_still_counts_for_it(redis_server, classroom):
    assignments.publish(tiny_graph(), "Lab 2", actor=None)
    tasks.submit(dict(tiny_graph(), name="renamed"), "ada", actor="ada", assignment="lab-2")
    at = app_as("ada", "tasks")
    at.button[[b.label for b in at.button].index("Open on canvas")].click().run()
    assert not at.exception, at.exception
    assert at.session_state["graph"]["name"] == "renamed-copy"
    assert at.session_state["graph_assignment"] == "lab-2"
    with pytest.raises(tasks.InvalidGraph, match="is not an assignment name"):
        tasks.submit(tiny_graph(), "ada", actor="ada", assignment="../lab-2")


def test_datasets_are_private_to_their_student_until_shared(classroom, tmp_path):
    datasets_store.import_archive(write_zip(tmp_path / "p.zip", class_files(("cat", "dog"), 6)), "pets",
                                  owner="ada")
    assert "No datasets yet" in texts(app_as("bob", "datasets").info)
    owner_view = app_as("ada", "datasets")
    assert owner_view.selectbox(key="explore").options == ["pets"]
    at = app_as("grace", "instructor")
    assert at.selectbox(key="share_choice").value == "pets"
    at.button(key="share").click().run()
    assert not at.exception, at.exception
    bob = app_as("bob", "datasets")
    assert bob.selectbox(key="explore").options == ["pets"]
    assert "Only its owner or an instructor can delete this dataset." in texts(bob.caption)


def test_a_tampered_session_shows_nothing_of_another_students_task(redis_server, classroom):
    mine = tasks.submit(tiny_graph(), "ada", actor="ada")
    theirs = tasks.submit(tiny_graph(), "bob", actor="bob")
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=120)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "ada"
    at.session_state["monitor_tasks"] = [theirs]          # as if a link carried bob's task id
    at.run()
    at.switch_page("../pages/monitor.py").run()
    assert not at.exception, at.exception
    assert at.multiselect[0].value == [mine] and not any(theirs in o for o in at.multiselect[0].options)


@pytest.mark.slow
def test_the_leaderboard_shows_each_students_best_accuracy_on_an_assignment(redis_server, classroom, tmp_path):
    from task_service import Workers, wait_for

    assignments.publish(tiny_graph(limit_per_class=10), "Lab 1", actor=None)  # the server, trusted
    template = assignments.get("lab-1").graph
    ids = [tasks.submit(template, "ada", actor="ada"), tasks.submit(template, "bob", actor="bob")]
    renamed = dict(template, name="my own idea")
    tasks.submit(renamed, "bob", actor="bob")                  # not the assignment any more: not counted
    workers = Workers(1, tmp_path / "workers")
    try:
        wait_for(lambda: all(t["state"] in tasks.FINAL_STATES for t in tasks.list_tasks()), 240, "three tasks")
    finally:
        workers.stop()
    accuracy = {t["user"]: t["accuracy"] for t in tasks.list_tasks() if t["id"] in ids}
    at = app_as("grace", "instructor")
    board = next(d.value for d in at.dataframe if "rank" in d.value.columns)
    assert sorted(board["student"]) == ["ada", "bob"] and list(board["rank"]) == [1, 2]
    assert dict(zip(board["student"], board["test accuracy"])) == accuracy
    assert list(board["finished tasks"]) == [1, 1]
    every = next(d for d in at.dataframe if "worker" in d.value.columns and "task" in d.value.columns)
    numbers = dict(zip(every.value["task"], every.value["test accuracy"]))
    assert all(numbers[i] == accuracy[user] for i, user in zip(ids, ("ada", "bob")))  # numbers: sorted as numbers
    shown = displayed(every)
    assert all(text.endswith("%") for text in shown["test accuracy"]) and set(shown["queue"]) == {"—"}


def test_the_build_page_marks_a_trainer_over_the_class_limit(isolated_home, monkeypatch):
    from classroom import write_class

    write_class(isolated_home, monkeypatch, max_epochs=3)
    at = app_as("ada")
    at.selectbox(key="template").select("digits-small-cnn").run()      # 5 epochs
    assert not at.exception, at.exception
    assert "Trainer 'train': 5 epochs is more than this class allows (3)" in texts(at.markdown)
    train = next(b for b in at.button if b.label == "Train")
    assert train.disabled
    instructor = app_as("grace")
    instructor.selectbox(key="template").select("digits-small-cnn").run()
    assert "more than this class allows" not in texts(instructor.markdown)


def test_an_unreadable_users_file_is_not_named_to_a_visitor(classroom):
    from dragdl_core.classroom import users

    path = users.UsersFile().path
    path.write_text("users: [unclosed\n")  # not YAML any more: reading it raises, naming the file
    at = app_as(None)
    shown = texts(at.error)
    assert "tell your instructor" in shown
    assert str(path) not in shown and str(path.parent) not in shown

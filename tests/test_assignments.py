"""Assignments and the leaderboard: an instructor publishes a template to the class; each student's best
test accuracy per assignment ranks them."""
import json

import pytest

from conftest import example
from dragdl_core.classroom import assignments
from dragdl_core.classroom.access import AccessDenied, Actor
from dragdl_core.classroom.assignments import AssignmentError
from dragdl_core.classroom.leaderboard import leaderboard

GRACE, ADA = Actor("grace", "instructor"), Actor("ada", "student")


def test_an_instructor_publishes_a_template_every_student_can_open(isolated_home):
    published = assignments.publish(example("digits-cnn.json"), "Week 3: Digits CNN", "Beat 95%.", actor=GRACE)
    assert published.name == "week-3-digits-cnn"
    folder = isolated_home / "assignments" / "week-3-digits-cnn"
    assert json.loads((folder / "graph.json").read_text())["name"] == "week-3-digits-cnn"
    [listed] = assignments.list_assignments()
    assert (listed.title, listed.description, listed.published_by) == ("Week 3: Digits CNN", "Beat 95%.", "grace")
    assert assignments.get("week-3-digits-cnn").graph["nodes"] == example("digits-cnn.json")["nodes"]


def test_a_template_may_be_incomplete_but_must_be_a_graph():
    partial = example("digits-cnn.json")
    partial["nodes"] = [partial["nodes"][0], partial["nodes"][-1]]
    partial["edges"] = []
    assert assignments.publish(partial, "Build the model yourself", actor=GRACE).graph["nodes"][0]["type"] == "Digits"
    with pytest.raises(AssignmentError, match="the template is not a graph"):
        assignments.publish({"nodes": "many"}, "Broken", actor=GRACE)


def test_students_cannot_publish_or_withdraw(isolated_home):
    with pytest.raises(AccessDenied, match="only an instructor may publish assignments"):
        assignments.publish(example("digits-cnn.json"), "Mine", actor=ADA)
    assignments.publish(example("digits-cnn.json"), "Theirs", actor=GRACE)
    with pytest.raises(AccessDenied):
        assignments.withdraw("theirs", actor=ADA)
    assert not (isolated_home / "assignments" / "mine").exists()
    assignments.withdraw("theirs", actor=GRACE)
    assert assignments.list_assignments() == []


def test_publishing_twice_needs_replace_and_names_cannot_escape_the_folder():
    assignments.publish(example("digits-cnn.json"), "Lab 1", actor=GRACE)
    with pytest.raises(AssignmentError, match="already exists"):
        assignments.publish(example("digits-cnn.json"), "Lab 1", actor=GRACE)
    assignments.publish(example("shapes-augment.json"), "Lab 1", actor=GRACE, replace=True)
    assert assignments.get("lab-1").graph["nodes"][0]["type"] == "Shapes"
    for bad in ("../etc", "Lab 1", ""):
        with pytest.raises(AssignmentError):
            assignments.get(bad)


def task(id, user, accuracy, finished, assignment="lab-1", state="succeeded"):
    return {"id": id, "user": user, "accuracy": accuracy, "finished": finished, "graph_name": assignment,
            "name": "renamed by the student", "state": state}


def test_the_leaderboard_keeps_each_students_best_succeeded_task():
    tasks = [task("a1", "ada", 0.90, 10), task("a2", "ada", 0.97, 20), task("a3", "ada", 0.99, 30, state="failed"),
             task("b1", "bob", 0.95, 15), task("c1", "cy", 0.97, 12), task("d1", "dee", 0.99, 5, assignment="other"),
             task("e1", "eve", None, 5)]
    board = leaderboard(tasks, ["lab-1"])["lab-1"]
    assert [(e.rank, e.user, e.accuracy, e.task_id) for e in board] == [
        (1, "cy", 0.97, "c1"),          # same accuracy as ada, reached first
        (2, "ada", 0.97, "a2"),
        (3, "bob", 0.95, "b1"),
    ]
    assert board[1].attempts == 2
    assert leaderboard([], ["lab-1"]) == {"lab-1": []}


def test_a_task_tagged_with_an_assignment_counts_for_it_whatever_its_graph_is_called():
    renamed = dict(task("a1", "ada", 0.93, 10, assignment="my better idea"), assignment="lab-1")
    untagged = task("b1", "bob", 0.99, 10, assignment="my better idea")
    board = leaderboard([renamed, untagged], ["lab-1"])["lab-1"]
    assert [(e.user, e.task_id) for e in board] == [("ada", "a1")]

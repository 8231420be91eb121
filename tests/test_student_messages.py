"""What a student is told when the task service is away: one line to act on. The Redis URL and the command
that starts the service go to the instructor, who alone can act on them."""
from __future__ import annotations

from app import task_service
from dragdl_core.classroom.access import Actor
from dragdl_core.tasks import ServiceUnavailable, TaskNotFound


def test_a_lost_task_service_is_worded_for_who_is_looking():
    err = ServiceUnavailable("cannot reach Redis at redis://10.0.0.5:6379/0: refused; is "
                             "`python -m dragdl_core up` running?")
    student = task_service.message_for(err, Actor("ada"))
    assert "python -m" not in student and "redis://" not in student and "instructor" in student
    assert task_service.message_for(err, Actor("grace", "instructor")) == str(err)


def test_other_task_errors_reach_the_student_unchanged():
    err = TaskNotFound("no task 'abc'")
    assert task_service.message_for(err, Actor("ada")) == str(err)


def test_a_sweep_table_shows_dashes_and_names_not_none_and_bare_ids():
    """A sweep's tasks share the graph's name and some have not finished: each row still reads differently,
    and a missing figure is a dash (issue 14: "None" in table cells, runs told apart only by hex ids)."""
    from app.sweep_view import results_table, shown

    rows = [{"id": "a1b2c3d4e5", "name": "digits", "state": "succeeded", "val_accuracy": 0.95, "accuracy": 0.9,
             "values": {"train.learning_rate": 0.01}},
            {"id": "f6e5d4c3b2", "name": "digits", "state": "queued", "val_accuracy": None,
             "values": {"train.learning_rate": None}}]
    table = results_table(rows)
    html = shown(table).to_html()  # what the dataframe displays (the Styler's values; the chart keeps numbers)
    assert "None" not in html and "nan" not in html
    assert table["task"].tolist() == ["digits (a1b2c3)", "digits (f6e5d4)"]
    assert ">95.0%<" in html and html.count(">—<") == 3  # val accuracy, test accuracy and the rate of the queued

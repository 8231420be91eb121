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

"""The access policy: students act on their own things only, read what is shared with the class, and a
refusal names the action and the object but nothing of the other user."""
import pytest

from dragdl_core.classroom import access
from dragdl_core.classroom.access import (DATASET_READS, DATASET_WRITES, TASK_ACTIONS, AccessDenied, Actor, DatasetRef,
                                          TaskRef)

ADA, BOB = Actor("ada", "student"), Actor("bob", "student")
GRACE = Actor("grace", "instructor")
BOBS_TASK = TaskRef("9f1c2a7be04d5e61", "bob")


@pytest.mark.parametrize("action", TASK_ACTIONS)
def test_a_student_is_refused_every_action_on_another_students_task(action):
    with pytest.raises(AccessDenied) as err:
        access.check_task(ADA, action, BOBS_TASK)
    message = str(err.value)
    assert action in message and BOBS_TASK.id in message
    assert "bob" not in message                           # the owner is not revealed


@pytest.mark.parametrize("action", TASK_ACTIONS)
def test_owners_instructors_and_trusted_callers_may_act_on_a_task(action):
    for actor in (BOB, GRACE, None):
        access.check_task(actor, action, BOBS_TASK)


def test_private_datasets_are_the_owners_and_shared_ones_are_readable_by_all():
    private, shared, instance = (DatasetRef("pets", "bob"), DatasetRef("birds", "bob", shared=True),
                                 DatasetRef("flowers", None))
    for action in DATASET_READS:
        assert not access.may_dataset(ADA, action, private)
        assert access.may_dataset(ADA, action, shared) and access.may_dataset(ADA, action, instance)
    for action in DATASET_WRITES:
        for dataset in (private, shared, instance):
            assert not access.may_dataset(ADA, action, dataset)
            assert access.may_dataset(GRACE, action, dataset)
        assert access.may_dataset(BOB, action, private) and access.may_dataset(BOB, action, shared)
    with pytest.raises(AccessDenied, match="^no dataset named 'pets'$"):  # as if it did not exist
        access.check_dataset(ADA, "use", private)
    with pytest.raises(AccessDenied, match="you may not delete dataset 'flowers': it is the class's"):
        access.check_dataset(ADA, "delete", instance)


@pytest.mark.parametrize("action", sorted(access.CLASS_ACTIONS))
def test_class_wide_actions_are_for_instructors(action):
    with pytest.raises(AccessDenied, match="only an instructor may"):
        access.check(ADA, action)
    access.check(GRACE, action)
    access.check(None, action)


def test_registering_custom_models_is_instructor_only():
    assert not access.may(ADA, "register_model") and access.may(GRACE, "register_model")


def test_a_student_listing_tasks_sees_only_their_own():
    assert access.owner_filter(ADA, None) == "ada"
    assert access.owner_filter(ADA, "ada") == "ada"
    with pytest.raises(AccessDenied, match="another user's tasks"):
        access.owner_filter(ADA, "bob")
    assert access.owner_filter(GRACE, None) is None and access.owner_filter(GRACE, "bob") == "bob"


def test_only_instructors_submit_in_another_users_name():
    access.check_submit(ADA, "ada")
    access.check_submit(GRACE, "ada")
    with pytest.raises(AccessDenied):
        access.check_submit(ADA, "bob")


def test_unknown_roles_and_actions_are_bugs_not_silent_permissions():
    with pytest.raises(ValueError):
        Actor("eve", "admin")
    with pytest.raises(ValueError):
        access.may_task(GRACE, "steal", BOBS_TASK)


def test_refusals_say_exactly_what_and_whose():
    with pytest.raises(AccessDenied) as err:
        access.owner_filter(ADA, "bob")
    assert str(err.value) == "you may not list another user's tasks"
    with pytest.raises(AccessDenied) as err:
        access.check_submit(ADA, "bob")
    assert str(err.value) == "you may not submit tasks in another user's name"
    with pytest.raises(AccessDenied) as err:
        access.check_dataset(ADA, "delete", DatasetRef("pets", "bob", shared=True))
    assert str(err.value) == "you may not delete dataset 'pets': it is another user's"
    with pytest.raises(AccessDenied) as err:
        access.check_dataset(ADA, "replace", DatasetRef("digits", None))
    assert str(err.value) == "you may not replace dataset 'digits': it is the class's"


def test_bugs_are_named_with_the_choices():
    with pytest.raises(ValueError) as err:
        Actor("eve", "admin")
    assert str(err.value) == "unknown role 'admin': use student or instructor"
    with pytest.raises(ValueError) as err:
        access.may_dataset(GRACE, "steal", DatasetRef("pets", "bob"))
    assert str(err.value) == f"unknown action 'steal'; one of {', '.join(DATASET_READS + DATASET_WRITES)}"


def test_the_actor_set_for_a_context_is_the_one_read_back():
    import contextvars

    def inside():
        assert access.acting() is None
        access.act_as(ADA)
        assert access.acting() == ADA
        access.act_as(None)
        assert access.acting() is None

    contextvars.copy_context().run(inside)


def test_the_task_service_turns_a_class_wide_refusal_into_forbidden():
    from dragdl_core.tasks import Forbidden
    from dragdl_core.tasks.access import check_class

    check_class(GRACE, "see_queue")
    check_class(None, "see_queue")
    with pytest.raises(Forbidden) as err:
        check_class(ADA, "see_queue")
    assert str(err.value) == "only an instructor may see the queue and the workers"
    with pytest.raises(ValueError, match="unknown action 'steal'"):
        check_class(GRACE, "steal")

"""Fair order: tasks of different users interleave, so one student's twenty tasks starve nobody."""
from dragdl_core.classroom.scheduling import Waiting, fair_order, running_counts


def users_in(order):
    return [t.user for t in order]


def test_three_users_submitting_at_once_interleave():
    waiting = [Waiting(f"{u}{i}", u, queued=i * 3 + k) for k, u in enumerate("abc") for i in range(3)]
    assert users_in(fair_order(waiting)) == list("abcabcabc")


def test_one_students_twenty_tasks_do_not_starve_a_later_one():
    waiting = [Waiting(f"a{i}", "ada", queued=i) for i in range(20)]
    waiting += [Waiting("b0", "bob", queued=100), Waiting("c0", "cy", queued=101)]
    order = [t.id for t in fair_order(waiting)]
    assert order[:4] == ["a0", "b0", "c0", "a1"]
    assert order[3:] == [f"a{i}" for i in range(1, 20)]   # ada's own tasks keep her order


def test_a_user_already_on_a_worker_waits_behind_users_with_none_running():
    waiting = [Waiting("a5", "ada", queued=5), Waiting("b0", "bob", queued=50)]
    assert [t.id for t in fair_order(waiting, running={"ada": 1})] == ["b0", "a5"]
    assert [t.id for t in fair_order(waiting, running={"ada": 1, "bob": 2})] == ["a5", "b0"]


def test_within_a_user_the_task_queued_first_goes_first_whatever_the_input_order():
    waiting = [Waiting("late", "ada", queued=9), Waiting("early", "ada", queued=1)]
    assert [t.id for t in fair_order(waiting)] == ["early", "late"]


def test_running_counts():
    assert running_counts(["ada", "bob", "ada"]) == {"ada": 2, "bob": 1}
    assert fair_order([]) == []

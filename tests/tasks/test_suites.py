import pytest

from robolearn.errors import UnknownNameError
from robolearn.tasks.catalogue import COLORS
from robolearn.tasks.families.pretrain import signature
from robolearn.tasks.suites import EVAL_SUITES, get_suite, get_task


@pytest.mark.parametrize("name", EVAL_SUITES)
def test_evaluation_suites_have_ten_distinct_tasks(name):
    suite = get_suite(name)
    assert len(suite) == 10
    assert len(set(suite.task_ids)) == 10
    assert all(t.family == name for t in suite.tasks)


def test_long_tasks_have_two_or_three_stages():
    assert all(2 <= len(t.goal) <= 3 for t in get_suite("long").tasks)


def test_spatial_tasks_share_objects_and_goal_tasks_share_the_scene():
    spatial = get_suite("spatial").tasks
    assert len({tuple((o.type, o.color) for o in t.objects) for t in spatial}) == 1
    goal = get_suite("goal").tasks
    assert len({(t.objects, t.fixtures, t.regions) for t in goal}) == 1
    assert len({t.goal for t in goal}) == 10


def test_object_tasks_vary_the_object_to_move():
    targets = [t.goal[0].args[0].rsplit("_", 1)[0] for t in get_suite("object").tasks]
    assert len(set(targets)) == 10


def test_pretrain_pool_is_large_and_disjoint_from_evaluation_goals():
    pretrain = get_suite("pretrain").tasks
    assert len(pretrain) >= 40
    evaluation = {
        signature(t, a)
        for s in ("spatial", "object", "goal")
        for t in get_suite(s).tasks
        for a in t.goal
    }
    assert not evaluation & {signature(t, a) for t in pretrain for a in t.goal}
    assert not set(get_suite("pretrain").task_ids) & {
        i for s in EVAL_SUITES for i in get_suite(s).task_ids
    }


def test_color_perturbation_uses_heldout_colours_and_rewrites_language():
    base, shifted = get_suite("spatial").tasks[0], get_suite("spatial@color").tasks[0]
    heldout = {n for n, c in COLORS.items() if c.heldout}
    assert shifted.task_id == base.task_id.replace("spatial/", "spatial@color/")
    assert {o.color for o in shifted.objects if o.color} <= heldout
    assert "black" in base.language and "black" not in shifted.language


def test_layout_paraphrase_and_camera_perturbations():
    base = get_suite("goal").tasks[3]
    layout = get_suite("goal@layout").tasks[3]
    assert layout.regions != base.regions and layout.goal == base.goal
    para = get_suite("goal@paraphrase").tasks[3]
    assert para.language in base.heldout_paraphrases
    cam = get_suite("goal@camera@color").tasks[3]
    assert cam.camera_jitter != (0.0, 0.0) and cam.perturbations == ("camera", "color")
    assert get_task(cam.task_id) == cam


def test_unknown_suite_and_axis_have_helpful_errors():
    with pytest.raises(UnknownNameError, match="did you mean spatial"):
        get_suite("spatail")
    with pytest.raises(UnknownNameError, match="perturbation"):
        get_suite("spatial@lighting")

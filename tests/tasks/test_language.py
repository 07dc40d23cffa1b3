import numpy as np

from robolearn.tasks.language import N_TRAIN_PARAPHRASES, instructions
from robolearn.tasks.spec import Atom
from robolearn.tasks.suites import BASE_SUITES, get_suite

ALL_TASKS = [t for s in BASE_SUITES for t in get_suite(s).tasks]


def test_every_task_has_canonical_train_and_heldout_language():
    for task in ALL_TASKS:
        assert task.language
        assert len(task.paraphrases) >= N_TRAIN_PARAPHRASES
        assert len(task.heldout_paraphrases) >= 2
        everything = [task.language, *task.paraphrases, *task.heldout_paraphrases]
        assert len(set(everything)) == len(everything), task.task_id
        assert "_" not in " ".join(everything), "instance names leaked into language"


def test_language_is_seeded():
    goal = [Atom("On", ("a_1", "b_1")), Atom("Open", ("c_1.drawer",))]
    refs = {"a_1": "the cup", "b_1": "the plate", "c_1.drawer": "the drawer"}
    one = instructions(goal, refs, np.random.default_rng(3))
    assert one == instructions(goal, refs, np.random.default_rng(3))
    assert one[0] == "pick up the cup and place it on the plate, then open the drawer"


def test_spatial_instructions_name_the_relation():
    langs = [t.language for t in get_suite("spatial").tasks]
    assert len(set(langs)) == 10
    assert any("left of the plate" in s for s in langs)
    assert any("next to the red mug" in s for s in langs)

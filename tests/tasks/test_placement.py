import itertools
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from robolearn.envs.init_states import N_INIT_STATES, init_states
from robolearn.errors import PlacementError
from robolearn.tasks.catalogue import OBJECTS
from robolearn.tasks.placement import CLEARANCE, constraints_hold, footprint_radius, sample_init
from robolearn.tasks.predicates import satisfied
from robolearn.tasks.spec import RegionSpec
from robolearn.tasks.suites import BASE_SUITES, get_suite
from robolearn.tasks.world import world_state

ROOT = Path(__file__).resolve().parents[2]
ALL_TASKS = [t for s in BASE_SUITES for t in get_suite(s).tasks]


@pytest.mark.parametrize("task", ALL_TASKS, ids=lambda t: t.task_id)
def test_fixed_initial_states_are_valid(task):
    states = init_states(task)
    assert len(states) == N_INIT_STATES
    radii = {o.name: footprint_radius(OBJECTS.get(o.type), o.scale) for o in task.objects}
    for state in states:
        on_table = {n: p for n, p in state.objects.items() if abs(p[2] - state.objects[n][2]) < 1}
        for (a, pa), (b, pb) in itertools.combinations(on_table.items(), 2):
            stacked = abs(pa[2] - pb[2]) > 0.02
            if not stacked:
                assert (
                    math.hypot(pa[0] - pb[0], pa[1] - pb[1])
                    >= radii[a] + radii[b] + CLEARANCE - 1e-9
                )
        assert constraints_hold(task, state)
        ws = world_state(task, state.objects, state.joints)
        assert not satisfied(task.goal, ws), f"{task.task_id}: goal already holds at init"


def test_sampling_is_deterministic_and_varied():
    task = get_suite("spatial").tasks[0]
    a = sample_init(task, np.random.default_rng(1))
    b = sample_init(task, np.random.default_rng(1))
    c = sample_init(task, np.random.default_rng(2))
    assert a == b and a != c


def test_impossible_placement_fails_after_bounded_retries():
    task = get_suite("object").tasks[0]
    tiny = tuple(RegionSpec(r.name, (0.0, 0.0), (0.001, 0.001)) for r in task.regions)
    with pytest.raises(PlacementError, match="no collision-free layout after 3 layouts x 5 tries"):
        sample_init(
            task.with_changes(regions=tiny), np.random.default_rng(0), max_tries=5, max_layouts=3
        )


def test_shipped_init_state_files_match_their_generator():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_init_states.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr

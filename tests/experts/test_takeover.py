"""Takeover demos: a driver acts first, then the expert takes over (unit: no simulator)."""

from __future__ import annotations

import numpy as np
import pytest

from robolearn.errors import ConfigError
from robolearn.experts.takeover import DRIVER_PHASE, Takeover, check_steps


class FakeExpert:
    perturb = None

    def __init__(self) -> None:
        self.resets = 0
        self.done = False
        self.phase = "reach"
        self.label = np.zeros(7, np.float32)
        self.learn = True

    def reset(self) -> None:
        self.resets += 1

    def act(self, obs=None):
        self.label = np.full(7, 0.5, np.float32)
        return self.label


class FakeDriver:
    def __init__(self) -> None:
        self.resets = 0
        self.calls = 0

    def reset(self) -> None:
        self.resets += 1

    def act(self, obs):
        self.calls += 1
        return np.full(7, -0.25, np.float32)


def run(takeover: Takeover, steps: int) -> tuple[list[bool], list[str], np.ndarray]:
    takeover.reset()
    learn, phases, actions = [], [], []
    for _ in range(steps):
        actions.append(takeover.act({}))
        learn.append(takeover.learn)
        phases.append(takeover.phase)
    return learn, phases, np.array(actions)


def test_the_driver_acts_first_unlearned_then_the_expert_plans_from_there():
    expert, driver = FakeExpert(), FakeDriver()
    takeover = Takeover(expert, driver, np.random.default_rng(0), (3, 9))
    learn, phases, actions = run(takeover, 20)
    n = takeover.switch
    assert 3 <= n <= 9 and driver.calls == n and driver.resets == 1
    assert learn == [False] * n + [True] * (20 - n)
    assert phases[:n] == [DRIVER_PHASE] * n and set(phases[n:]) == {"reach"}
    assert np.all(actions[:n] == -0.25) and np.all(actions[n:] == 0.5)
    assert expert.resets == 1  # reset once, at the switch: it plans from the driver's scene
    assert takeover.took_over and not takeover.done
    expert.done = True
    assert takeover.done


def test_the_switch_is_seeded_and_covers_the_range_inclusively():
    def switches(seed: int) -> list[int]:
        takeover = Takeover(FakeExpert(), FakeDriver(), np.random.default_rng(seed), (2, 4))
        out = []
        for _ in range(60):
            takeover.reset()
            out.append(takeover.switch)
        return out

    assert switches(1) == switches(1)
    assert set(switches(1)) == {2, 3, 4}


def test_no_driver_steps_means_the_expert_from_the_start():
    expert, driver = FakeExpert(), FakeDriver()
    takeover = Takeover(expert, driver, np.random.default_rng(0), (0, 0))
    learn, phases, _ = run(takeover, 5)
    assert all(learn) and DRIVER_PHASE not in phases and driver.calls == 0
    assert expert.resets == 1


def test_before_the_switch_the_episode_is_not_done():
    takeover = Takeover(FakeExpert(), FakeDriver(), np.random.default_rng(0), (50, 50))
    takeover.reset()
    takeover.expert.done = True  # a stale flag of the inner expert does not end the episode
    assert not takeover.done


@pytest.mark.parametrize("steps", [(5, 2), (-1, 3), ("a", 2), (1,)])
def test_bad_step_ranges_are_refused(steps):
    with pytest.raises(ConfigError, match="takeover_steps"):
        check_steps(steps)

"""scripts/trace_rollout.py: rows every few steps and at gripper flips, releases, bad input."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from robolearn.errors import ConfigError
from tests import load_script

# gripper commands per step (then open to the end): close 6, hold 3, open 4, close 5
SCHEDULE = [1.0] * 6 + [0.0] * 3 + [-1.0] * 4 + [1.0] * 5


class Scripted:
    """Moves the hand up while commanding the gripper by SCHEDULE."""

    def __init__(self) -> None:
        self.t = 0

    def reset(self) -> None:
        self.t = 0

    def act(self, obs: dict[str, Any]) -> np.ndarray:
        grip = SCHEDULE[self.t] if self.t < len(SCHEDULE) else -1.0
        self.t += 1
        return np.array([[0.0, 0.0, 0.5, 0.0, 0.0, 0.0, grip]], dtype=np.float32)


def test_states_and_objects_are_checked():
    trace_rollout = load_script("trace_rollout")
    assert trace_rollout.parse_states("0-2,5") == [0, 1, 2, 5]
    assert trace_rollout.parse_states("7") == [7]
    with pytest.raises(SystemExit, match="0-x"):
        trace_rollout.parse_states("0-x")
    with pytest.raises(SystemExit, match="'5-3' runs backwards"):
        trace_rollout.parse_states("0,5-3")
    names = ["bowl_1", "plate_1", "mug_1", "cube_1"]
    pick = trace_rollout.pick_objects
    assert pick(names, ["cube", " mug"], "t") == ["cube_1", "mug_1"]
    assert pick(names, None, "t") == ["bowl_1", "plate_1"]
    with pytest.raises(ConfigError, match=r"'lemon' matches nothing among t's objects"):
        pick(names, ["lemon", "mug"], "t")
    with pytest.raises(ConfigError, match="both name cube_1"):
        pick(names, ["cube", "cube_1"], "t")
    with pytest.raises(ConfigError, match="give two"):
        pick(names, ["cube"], "t")
    with pytest.raises(ConfigError, match=r"matches \['bowl_1', 'plate_1', 'mug_1', 'cube_1'\]"):
        pick(names, ["_1", "cube"], "t")


@pytest.mark.sim
def test_trace_logs_rows_every_k_steps_and_each_release():
    from robolearn.envs import make_env

    trace_rollout = load_script("trace_rollout")
    env = make_env("goal/in-cube-mug-v1", time_limit=False)
    try:
        horizon = env.unwrapped.task.horizon
        (ep,) = trace_rollout.trace(Scripted(), env, [3], ["cube", "mug"], every=50)
    finally:
        env.close()
    assert ep["init_state"] == 3 and ep["objects"] == ["cube_1", "mug_1"]
    assert not ep["success"] and ep["steps"] == horizon
    # close at t 0-5, hold 6-8, open 9-12, close 13-17, open from 18: releases at 9 and 18
    # (the hold in between changes nothing), flips at 9, 13 and 18
    assert [r["t"] for r in ep["releases"]] == [9, 18]
    times = [r["t"] for r in ep["rows"]]
    assert times == sorted({*range(0, horizon, 50), 9, 13, 18, horizon - 1})
    assert [r["grip"] for r in ep["rows"][:4]] == ["close", "open", "close", "open"]
    # the hand rose under +z commands; the cube and the mug did not move
    assert ep["rows"][4]["eef"][2] > ep["rows"][0]["eef"][2] + 0.02
    first, last = ep["rows"][0], ep["rows"][-1]
    assert np.allclose(first["a_minus_b_cm"], last["a_minus_b_cm"], atol=0.1)
    rel = ep["releases"][0]
    off = np.linalg.norm(np.array(first["a"][:2]) - np.array(first["b"][:2])) * 1000
    assert rel["a_off_b_xy_mm"] == pytest.approx(off, abs=1.0)
    assert rel["a_over_b_cm"] == pytest.approx(first["a_minus_b_cm"][2], abs=0.1)

"""scripts/trace_rollout.py: rows every few steps and at gripper flips, releases, bad names."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from robolearn.errors import ConfigError
from tests import load_script


class LiftThenOpen:
    """Moves the hand up with the gripper closing for ``close`` steps, then opens it."""

    def __init__(self, close: int) -> None:
        self.close = close
        self.t = 0

    def reset(self) -> None:
        self.t = 0

    def act(self, obs: dict[str, Any]) -> np.ndarray:
        self.t += 1
        grip = 1.0 if self.t <= self.close else -1.0
        return np.array([[0.0, 0.0, 0.5, 0.0, 0.0, 0.0, grip]], dtype=np.float32)


def test_parse_states_reads_indices_and_ranges():
    trace_rollout = load_script("trace_rollout")
    assert trace_rollout.parse_states("0-2,5") == [0, 1, 2, 5]
    assert trace_rollout.parse_states("7") == [7]
    with pytest.raises(SystemExit, match="0-x"):
        trace_rollout.parse_states("0-x")


@pytest.mark.sim
def test_trace_logs_rows_every_k_steps_and_a_release_at_the_flip():
    from robolearn.envs import make_env

    trace_rollout = load_script("trace_rollout")
    env = make_env("goal/in-cube-mug-v1", time_limit=False)
    try:
        horizon = env.unwrapped.task.horizon
        (ep,) = trace_rollout.trace(LiftThenOpen(close=6), env, [3], ["cube", "mug"], every=50)
        with pytest.raises(ConfigError, match=r"'lemon' matches nothing among .*cube_1"):
            trace_rollout.trace(LiftThenOpen(close=6), env, [0], ["lemon", "mug"])
    finally:
        env.close()
    assert ep["init_state"] == 3 and ep["objects"] == ["cube_1", "mug_1"]
    assert not ep["success"] and ep["steps"] == horizon
    # the command turns from closing to opening on the 7th step (t = 6), and only there
    assert [r["t"] for r in ep["releases"]] == [6]
    times = [r["t"] for r in ep["rows"]]
    assert times == sorted({*range(0, horizon, 50), 6, horizon - 1})
    assert [r["grip"] for r in ep["rows"][:2]] == ["close", "open"]
    # the hand rose under +z commands; the cube and the mug did not move
    assert ep["rows"][2]["eef"][2] > ep["rows"][0]["eef"][2] + 0.02
    first, last = ep["rows"][0], ep["rows"][-1]
    assert np.allclose(first["a_minus_b_cm"], last["a_minus_b_cm"], atol=0.1)
    rel = ep["releases"][0]
    off = np.linalg.norm(np.array(first["a"][:2]) - np.array(first["b"][:2])) * 1000
    assert rel["a_off_b_xy_mm"] == pytest.approx(off, abs=1.0)

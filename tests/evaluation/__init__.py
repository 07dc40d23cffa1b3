"""Helpers for the evaluation tests (module level, so worker processes can unpickle them)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

CRASH_TASK = "object/block-in-basket-v2"


def crashing_factory(task_id: str, obs: dict[str, Any]) -> Any:
    """make_env, but the env of CRASH_TASK kills its worker process at its 3rd step."""
    from robolearn.envs import make_env

    env = make_env(task_id, obs=obs, time_limit=False)
    if task_id != CRASH_TASK:
        return env
    step = env.step
    count = [0]

    def dying_step(action: np.ndarray) -> Any:
        count[0] += 1
        if count[0] == 3:
            os._exit(3)  # what a segfault or the OOM killer looks like from outside
        return step(action)

    env.step = dying_step
    return env


def blind_factory(task_id: str, obs: dict[str, Any]) -> Any:
    """make_env, but rendering fails as an EGL context that cannot be had does."""
    from robolearn.envs import make_env

    env = make_env(task_id, obs=obs, time_limit=False)

    def broken_render() -> Any:
        raise RuntimeError("gladLoadGL error")

    env.render = broken_render
    return env


class ZeroPolicy:
    """Holds still: a policy for testing the evaluator's bookkeeping."""

    def __init__(self, spec: Any) -> None:
        self.spec = spec
        self.resets: list[Any] = []

    def reset(self, slots: Any = None) -> None:
        self.resets.append(slots)

    def act(self, obs: dict[str, Any]) -> np.ndarray:
        assert len(obs["language"]) == len(obs["eef_pos"])
        return np.zeros((len(obs["eef_pos"]), 7), dtype=np.float32)

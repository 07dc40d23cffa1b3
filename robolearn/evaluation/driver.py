"""A policy checkpoint driving one env from its raw observations (e.g. the driver of
takeover demos, :class:`robolearn.experts.takeover.Driver`)."""

from __future__ import annotations

from typing import Any

import numpy as np


class PolicyDriver:
    """Raw env observations of one episode in, one action out; ``reset()`` between
    episodes. The policy is loaded on the CPU."""

    def __init__(self, checkpoint: str, language: str) -> None:
        from robolearn.policies.io import load_policy

        self.policy: Any = load_policy(checkpoint, device="cpu")
        self.language = language

    def reset(self) -> None:
        self.policy.reset()

    def act(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        from robolearn.evaluation.evaluate import stack_observations

        return np.asarray(self.policy.act(stack_observations([obs], [self.language])))[0]


__all__ = ["PolicyDriver"]

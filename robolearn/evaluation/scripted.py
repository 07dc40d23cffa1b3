"""The scripted expert as a policy, for evaluating the evaluator (and as an oracle row).

It plans from privileged simulator state, so it needs the env itself: ``needs_env = True``
makes :func:`~robolearn.evaluation.evaluate.evaluate` run its slots in-process and call
``bind(slot, env)`` at every episode start.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from robolearn.seeding import make_rng


class ExpertPolicy:
    needs_env = True

    def __init__(self, spec: Any, seed: int = 0) -> None:
        self.spec = spec
        self.seed = seed
        self.experts: dict[int, Any] = {}
        self._episodes = 0

    def bind(self, slot: int, env: Any) -> None:
        from robolearn.experts import make_expert

        self._episodes += 1
        expert = make_expert(env, make_rng(self.seed, "expert-policy", self._episodes))
        expert.reset()
        self.experts[slot] = expert

    def reset(self, slots: Sequence[int] | None = None) -> None:
        if slots is None:
            self.experts.clear()

    def act(self, obs: Mapping[str, Any]) -> np.ndarray:
        n = len(obs["language"])
        out = np.zeros((n, 7), dtype=np.float32)
        for slot in range(n):
            if slot in self.experts:
                out[slot] = self.experts[slot].act()
        return out

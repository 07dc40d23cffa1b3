"""Takeover demonstrations (DAgger-style data from the learner's own states).

A behaviour-cloned policy drifts into states the expert's demos never visit and has no
correction there (compounding error). :class:`Takeover` lets a driver (a trained policy)
act for the first ``n`` steps of an episode, ``n`` drawn per episode, then hands the scene as
the driver left it to the expert, which plans afresh from the privileged state (dropping
anything held, re-picking what was missed) and finishes the task. The driver's steps are
marked ``learn = False`` (the collector stores them in ``action_mask``, which the dataset
never trains on); the expert's steps label the states the policy actually reaches. This is
expert takeover in the manner of HG-DAgger (Kelly et al., 2019) with a scripted expert.

>>> takeover = Takeover(make_expert(env, rng), driver, np.random.default_rng(0), (10, 120))
>>> obs, _ = env.reset(seed=1); takeover.reset()          # doctest: +SKIP
>>> takeover.act(obs); takeover.learn                     # doctest: +SKIP
False
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from robolearn.errors import ConfigError

DRIVER_PHASE = "policy"  # the phase label of the driver's steps


class Driver(Protocol):
    """What drives an episode before the expert takes over (e.g. a trained policy)."""

    def reset(self) -> None: ...

    def act(self, obs: dict[str, np.ndarray]) -> np.ndarray: ...


def check_steps(steps: tuple[int, int] | list[int]) -> tuple[int, int]:
    """``(lo, hi)``: the driver's share of an episode, inclusive, 0 <= lo <= hi."""
    try:
        lo, hi = (int(s) for s in steps)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"takeover_steps must be two integers [lo, hi], got {steps!r}") from exc
    if not 0 <= lo <= hi:
        raise ConfigError(f"takeover_steps must satisfy 0 <= lo <= hi, got [{lo}, {hi}]")
    return lo, hi


class Takeover:
    """An expert that lets ``driver`` act first: the expert interface (``reset``, ``act``,
    ``phase``, ``done``, ``label``, ``learn``, ``perturb``) over both.

    ``took_over`` says whether the expert has taken over in this episode; an episode that
    ends before it (the driver solved the task alone) holds nothing to learn from.
    """

    masks_steps = True  # the collector stores ``learn`` as the action mask

    def __init__(
        self, expert: Any, driver: Driver, rng: np.random.Generator, steps: tuple[int, int]
    ) -> None:
        self.expert = expert
        self.driver = driver
        self.rng = rng
        self.steps = check_steps(steps)
        self.perturb = expert.perturb
        self.switch = 0
        self.t = 0
        self.phase = DRIVER_PHASE
        self.label = np.zeros(7, dtype=np.float32)
        self.learn = False
        self.took_over = False

    @property
    def done(self) -> bool:
        return self.took_over and bool(self.expert.done)

    def reset(self) -> None:
        """Start an episode (after ``env.reset``): draw the driver's number of steps."""
        lo, hi = self.steps
        self.switch = int(self.rng.integers(lo, hi + 1))
        self.t, self.took_over = 0, False
        self.driver.reset()
        if self.switch == 0:
            self._take_over()

    def _take_over(self) -> None:
        self.expert.reset()  # plans from the scene as the driver left it
        self.took_over = True

    def act(self, obs: Any = None) -> np.ndarray:
        if not self.took_over and self.t >= self.switch:
            self._take_over()
        self.t += 1
        if self.took_over:
            action = self.expert.act(obs)
            self.phase, self.label = self.expert.phase, self.expert.label
            self.learn = bool(self.expert.learn)
            return action
        action = np.asarray(self.driver.act(obs), dtype=np.float32).reshape(7)
        self.phase, self.label, self.learn = DRIVER_PHASE, action, False
        return action


__all__ = ["DRIVER_PHASE", "Driver", "Takeover", "check_steps"]

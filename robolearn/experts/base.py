"""The scripted expert (oracle): plan a task from privileged state, act step by step.

>>> expert = make_expert(env, np.random.default_rng(0))    # doctest: +SKIP
>>> obs, _ = env.reset(options={"init_state": 0}); expert.reset()
>>> action = expert.act(obs); expert.phase                 # doctest: +SKIP
'reach'

:func:`run_episode` runs one episode and reports success, actions and phase labels.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from robolearn.errors import RobolearnError
from robolearn.experts.motion import GRIP_OPEN, Controller, Style
from robolearn.experts.planner import PlanStep, plan
from robolearn.experts.primitives import Ctx, Motion, Step, recover, wait
from robolearn.experts.skills import PHASES
from robolearn.experts.version import EXPERT_VERSION as EXPERT_VERSION  # re-exported
from robolearn.experts.view import SceneView

log = logging.getLogger(__name__)

MAX_ROUNDS = 4  # plan, execute, re-check the goal; re-plan what is still unsatisfied
SUCCESS_HOLD = 10  # run_episode stops once success has held this many consecutive steps
SETTLE_STEPS = 15  # ... or this many steps after the plan is done
PERTURB_SCOPES = ("all", "transit", "reach", "drop")


@dataclass(frozen=True)
class Perturbation:
    """DART-style noise injection (Laskey et al., 2017) for collecting demonstrations.

    The env executes the expert's action plus temporally correlated Gaussian noise on the
    position part (an AR(1) process: ``n_t = rho n_{t-1} + sqrt(1 - rho^2) std e_t``), so the
    episode drifts off the expert's nominal path the way a learned policy's does; the expert is
    closed loop, so its next action corrects the drift. ``Expert.label`` keeps the clean action
    the expert asked for: a policy trained on those labels learns the corrections.
    """

    std: float = 0.0  # stationary std of the noise (action units; 1 = POS_SCALE metres/step)
    rho: float = 0.9  # correlation from one step to the next
    # all | transit: only the expert's transit moves (not grasp/place/turn) | reach: only while
    # the gripper is open and holds nothing (the way to a grasp, not carrying or placing) |
    # drop: only while a drop into a snug opening is lined up and lowered, until it is let go
    # (the expert lets go only once lined up again, so the demos show the correction of a
    # hand that comes to the rim off the opening, where a policy lets go too early)
    scope: str = "all"
    # Recovery demonstrations: the probability that a pick's first attempt descends 3-5 cm
    # beside its grasp point and closes on purpose, then lifts, lets go and retries (the
    # expert's own retry). ``Expert.learn`` is False on the deliberate steps.
    miss: float = 0.0
    # The same for drops into a snug opening (a cube into a mug): the probability that the
    # held object is let go DROP_MISS_OFFSET beside the opening on purpose, so it jams on the
    # rim, and the expert pushes it in (placing.press); the deliberate steps are masked too.
    drop_miss: float = 0.0

    @property
    def active(self) -> bool:
        return self.std > 0 or self.miss > 0 or self.drop_miss > 0

    def __post_init__(self) -> None:
        for name in ("miss", "drop_miss"):
            p = getattr(self, name)
            if not (math.isfinite(p) and 0.0 <= p <= 1.0):
                raise ValueError(f"perturbation {name} must be a probability in [0, 1], got {p}")
        if not (math.isfinite(self.std) and self.std >= 0.0):
            raise ValueError(f"perturbation std must be >= 0, got {self.std}")
        if not 0.0 <= self.rho < 1.0:
            raise ValueError(f"perturbation rho must be in [0, 1), got {self.rho}")
        if self.scope not in PERTURB_SCOPES:
            raise ValueError(
                f"perturbation scope must be one of {PERTURB_SCOPES}, got {self.scope!r}"
            )


class Expert:
    """A scripted oracle for one env: ``reset()`` after each ``env.reset``, then ``act``.

    With a :class:`Perturbation`, ``act`` returns the perturbed action to execute and
    ``label`` the expert's clean action; without one both are the same. ``learn`` says
    whether the step is one to learn from (False on a deliberate miss).
    """

    def __init__(
        self, env: Any, rng: np.random.Generator, perturb: Perturbation | None = None
    ) -> None:
        from robolearn.envs.env import RobolearnEnv

        inner = getattr(env, "unwrapped", env)
        if not isinstance(inner, RobolearnEnv):
            raise RobolearnError(f"experts drive a RobolearnEnv, got {type(inner).__name__}")
        self.env = inner
        self.rng = rng
        self.view = SceneView(inner)
        self.phase = PHASES[0]
        self.done = True
        self.style = Style()
        self.steps: list[PlanStep] = []
        self._ctx: Ctx | None = None
        self._program: Motion | None = None
        self._hold: np.ndarray | None = None
        self.perturb = perturb if perturb is not None and perturb.active else None
        # Their own streams, so an unperturbed expert draws exactly what it always drew. The
        # miss stream is spawned (rng's draws stay the same): with misses, every choice but
        # the deliberate miss itself is the one the same seed makes without them.
        p = self.perturb
        self._noise_rng = None
        # drop noise also makes a drop line up again before it is let go (Ctx.realign)
        self._drop_noise = bool(p and p.std > 0 and p.scope == "drop")
        if p and p.std > 0:  # drop noise is spawned (rng's draws stay the same): a task
            # without a snug drop, and every step before one, is the clean expert's exactly;
            # the other scopes keep the draw their demos were collected with (with misses too,
            # the miss streams are then the second and third spawned, not the first and second)
            self._noise_rng = (
                rng.spawn(1)[0] if self._drop_noise else np.random.default_rng(rng.integers(2**63))
            )
        self._miss_rng = rng.spawn(1)[0] if p and p.miss > 0 else None
        self._drop_miss_rng = rng.spawn(1)[0] if p and p.drop_miss > 0 else None
        self._noise = np.zeros(3)
        self.label = np.zeros(7, dtype=np.float32)
        self.learn = True  # False while the step is a deliberate mistake (Perturbation.miss)

    @property
    def masks_steps(self) -> bool:
        """Whether this expert makes deliberate mistakes: the collector then stores ``learn``
        as the action mask."""
        return self.perturb is not None and (self.perturb.miss > 0 or self.perturb.drop_miss > 0)

    def reset(self) -> None:
        """Start a new plan from the env's current (just reset) state with a fresh style."""
        self.style = Style.sample(self.rng)
        self._ctx = Ctx(self.view, Controller(self.style, self.rng), self.style, self.rng)
        if self.perturb is not None and self._miss_rng is not None:
            self._ctx.miss, self._ctx.miss_rng = self.perturb.miss, self._miss_rng
        if self.perturb is not None and self._drop_miss_rng is not None:
            self._ctx.drop_miss = self.perturb.drop_miss
            self._ctx.drop_miss_rng = self._drop_miss_rng
        self._ctx.realign = self._drop_noise
        self._ctx.sync()
        self._program = self._solve(self._ctx)
        self.phase, self.done, self._hold = PHASES[0], False, None
        self._noise = np.zeros(3)

    def act(self, obs: Any = None) -> np.ndarray:
        """The next action (7,) in [-1, 1] to execute; ``phase`` then names the step's skill
        phase and ``label`` holds the expert's clean action (see :class:`Perturbation`)."""
        self.label = self._clean_action()
        assert self._ctx is not None  # _clean_action raises without one
        self.learn = not self._ctx.deliberate
        if self.perturb is None or self._noise_rng is None:
            return self.label
        p = self.perturb
        if not self._noisy_now(p.scope):
            self._noise = np.zeros(3)  # out of scope: clean; the next noisy stretch starts afresh
            return self.label
        shock = self._noise_rng.normal(0.0, p.std, 3)
        self._noise = p.rho * self._noise + math.sqrt(1.0 - p.rho**2) * shock
        action = self.label.copy()
        action[:3] = np.clip(action[:3] + self._noise, -1.0, 1.0)
        return action

    def _noisy_now(self, scope: str) -> bool:
        """Whether the step just planned is in the perturbation's scope."""
        ctx = self._ctx
        assert ctx is not None  # _clean_action ran (and raises without a context)
        if scope == "transit":
            return bool(ctx.transit)
        if scope == "reach":
            return ctx.held is None and ctx.grip == GRIP_OPEN
        if scope == "drop":
            return ctx.dropping
        return True  # all

    def _clean_action(self) -> np.ndarray:
        if self._ctx is None or self._program is None:
            raise RobolearnError("call expert.reset() after env.reset() before expert.act()")
        if not self.done:
            try:
                action, self.phase = next(self._program)
                return np.asarray(action, dtype=np.float32)
            except StopIteration:
                self.done = True
        if self._hold is None:
            self._hold = self.view.eef_pos
        return np.asarray(self._ctx.action(self._hold, 0.5), dtype=np.float32)

    def _solve(self, ctx: Ctx) -> Motion:
        spec = self.env.task
        for _ in range(MAX_ROUNDS):
            status = self.view.goal_status()
            if all(status):
                return True
            if ctx.held is not None or ctx.grip > 0:
                yield from _drop(ctx)
            self.steps = plan(spec, self.view, status)
            log.debug("%s: plan %s", spec.task_id, [str(s) for s in self.steps])
            for step in self.steps:
                ok = yield from step.run(ctx)
                if not ok:
                    log.debug("%s: %s failed", spec.task_id, step)
                    if ctx.stuck:
                        yield from recover(ctx)
                    break
        return all(self.view.goal_status())


def _drop(ctx: Ctx) -> Motion:
    from robolearn.experts.motion import GRIP_OPEN

    ctx.grip, ctx.held = GRIP_OPEN, None
    yield from wait(ctx, 5, "release")
    ctx.unfreeze()
    return True


def make_expert(env: Any, rng: np.random.Generator, perturb: Perturbation | None = None) -> Expert:
    """The scripted expert for ``env`` (a RobolearnEnv, possibly wrapped)."""
    return Expert(env, rng, perturb)


def run_episode(
    env: Any,
    expert: Expert,
    max_steps: int | None = None,
    rng: np.random.Generator | None = None,
    reset_kwargs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Reset ``env`` and the expert, then step until success has held ``SUCCESS_HOLD`` steps,
    the plan is done (plus a short settle), or ``max_steps`` (default: the task's horizon).

    ``reset_kwargs`` go to ``env.reset``; without a ``seed`` in them one is drawn from ``rng``.
    Returns ``success``, ``steps``, ``actions`` (steps x 7), ``phases`` and ``goal_status``.
    """
    inner = expert.env
    kwargs = dict(reset_kwargs or {})
    if "seed" not in kwargs and rng is not None:
        kwargs["seed"] = int(rng.integers(2**31 - 1))
    obs, info = env.reset(**kwargs)
    expert.reset()
    horizon = max_steps if max_steps is not None else inner.task.horizon
    actions: list[np.ndarray] = []
    phases: list[str] = []
    streak, after_done = 0, 0
    for _ in range(horizon):
        action = expert.act(obs)
        actions.append(action)
        phases.append(expert.phase)
        obs, _, terminated, truncated, info = env.step(action)
        streak = streak + 1 if info["is_success"] else 0
        after_done += int(expert.done)
        if streak >= SUCCESS_HOLD or after_done >= SETTLE_STEPS or truncated:
            break
    return {
        "success": bool(info["is_success"]),
        "steps": len(actions),
        "actions": np.asarray(actions, dtype=np.float32).reshape(-1, 7),
        "phases": phases,
        "goal_status": list(info["goal_status"]),
    }


__all__ = ["Expert", "Perturbation", "Step", "make_expert", "run_episode"]

"""Motion primitives the skills are built from: move, wait, transit.

A primitive is a generator that yields ``(action, phase)`` once per control step and returns
whether it reached its goal; skills chain primitives with ``yield from``. Every primitive
reads the current state from the :class:`~robolearn.experts.view.SceneView` at each step, so
the experts are closed-loop.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

import numpy as np

from robolearn.experts.motion import (
    GRIP_CLOSE,
    GRIP_OPEN,
    NEUTRAL_PSI,
    Controller,
    Style,
    axis_rot,
    gripper_rot,
    rot_error,
    wrist_psi,
)
from robolearn.experts.view import FINGER_DEPTH, SceneView

log = logging.getLogger(__name__)
Step = tuple[np.ndarray, str]
Motion = Generator[Step, None, bool]
TargetFn = Callable[[], np.ndarray]

CLEAR_MARGIN = 0.045  # vertical clearance over obstacles during transit (m)
FINGER_RADIUS = 0.05  # horizontal reach of the open fingers around the grip site (m)
MAX_Z = 1.25  # never fly higher than this (the Panda's comfortable workspace)
YAW_RATE = 0.15  # rad per step the commanded closing yaw may turn
TILT_RATE = 0.12  # rad per step the commanded tilt may change
GRIP_SETTLED = 0.001  # the fingers moved less than this over two steps: the grip has closed (m)
# A move that got no closer than STUCK_ERR (m) and moved less than STUCK_MOVE (m) over the last
# STUCK_STEPS steps is stuck.
STUCK_STEPS, STUCK_MOVE, STUCK_ERR = 15, 0.003, 0.02
# A move with ``rest`` set that moved less than REST_MOVE (m) over that many steps within
# STUCK_ERR of its target rests against something there (a finger on a bowl's wall): done.
REST_MOVE = 0.001
HOME = (0.46, 1.05)  # where recover() takes the grip site: m ahead of the base, height
INTEGRAL_ZONE = 0.03  # integrate the position error within this distance of the target (m)
INTEGRAL_GAIN = 0.15
INTEGRAL_CAP = 0.05  # m
# Lean of the gripper (rad, fingertips away from the base) against the horizontal distance of
# the grip site from the robot's base (m): out when far, in when close, upright in between.
REACH_LEAN = ((0.45, 0.6, 0.8), (-0.3, 0.0, 0.3))
LEAN_NEAR = 0.1  # m: within this of the target the hand leans for the target
MIN_LEAN = 0.05  # sin of a lean of the fingers that counts
TIP_RAMP = (0.04, 0.25)  # a rim grasp's own lean is whole within the first, none beyond the second


@dataclass
class Ctx:
    """What a skill acts with: the scene, the controller and the gripper's commanded state.

    Skills set the goal orientation with :meth:`aim`; the commanded orientation follows it
    at a limited rate (``YAW_RATE``/``TILT_RATE`` per step), so big wrist turns take a
    continuous path instead of the controller's shortest rotation.
    """

    view: SceneView
    ctrl: Controller
    style: Style
    rng: np.random.Generator
    grip: float = GRIP_OPEN
    psi: float = NEUTRAL_PSI  # goal closing yaw (unwrapped, within the wrist's range)
    tilt: float = 0.0  # goal tilt about the closing axis
    held: str | None = None
    cmd_psi: float = NEUTRAL_PSI
    cmd_tilt: float = 0.0
    lean_xy: np.ndarray | None = None  # where the lean is computed (the current target)
    stuck: bool = False  # a move stopped short without moving (see move); recover() clears it
    frozen: tuple[np.ndarray, float] | None = None  # gripper rotation and yaw at a grasp
    # A rim grasp's lean (horizontal unit direction, rad, grasp point): it replaces the reach
    # lean as the grip site comes within TIP_RAMP (m) of the grasp point, in proportion.
    tip: tuple[np.ndarray, float, np.ndarray] | None = None
    transit: bool = False  # whether the last action was a transit move's (see Controller)
    # Recovery demonstrations: the probability that a pick's first attempt deliberately aims
    # off the grasp point (see skills.pick), drawn from miss_rng; while such a deliberate
    # mistake is acted out, ``deliberate`` is True (those steps are not to be learned from).
    miss: float = 0.0
    miss_rng: np.random.Generator | None = None
    # ... and that a drop into a snug opening is let go beside it on purpose (placing.place)
    drop_miss: float = 0.0
    drop_miss_rng: np.random.Generator | None = None
    deliberate: bool = False
    # Whether a drop into a snug opening is being lined up (from the precise alignment over
    # the opening until the object is let go): the ``drop`` perturbation scope.
    dropping: bool = False
    # Whether a drop is lined up again before it is let go (placing.REALIGN_TRIES): on only
    # under the ``drop`` noise, so the clean expert's drops are exactly what they always were.
    realign: bool = False
    _integral: np.ndarray = field(default_factory=lambda: np.zeros(3))
    _last_target: np.ndarray | None = None

    def aim(self, psi: float, tilt: float = 0.0, exact: bool = False) -> None:
        """Set the goal orientation; ``exact`` keeps ``psi`` as is instead of folding it."""
        self.psi = psi if exact else wrist_psi(psi, self.cmd_psi)
        self.tilt = tilt

    def sync(self) -> None:
        """Take the commanded orientation from the gripper's actual yaw (after a reset)."""
        rot = self.view.eef_rot
        self.cmd_psi = self.psi = wrist_psi(float(np.arctan2(rot[1, 0], rot[0, 0])), NEUTRAL_PSI)
        self.cmd_tilt = self.tilt = 0.0

    def rot(self) -> np.ndarray:
        return self._orientation(self.cmd_psi, self.cmd_tilt)

    def _orientation(self, psi: float, tilt: float) -> np.ndarray:
        if self.frozen is not None and tilt == 0.0:
            rot0, psi0 = self.frozen
            return axis_rot(np.array([0.0, 0.0, 1.0]), psi - psi0) @ rot0
        reach = self.reach_pitch(gripper_rot(psi, tilt), tilt)
        if self.tip is None or tilt != 0.0:
            return reach
        toward, lean, point = self.tip
        near = float(np.linalg.norm(self.view.eef_pos[:2] - point[:2]))
        share = float(np.interp(near, TIP_RAMP, (1.0, 0.0)))
        if share == 0.0:
            return reach
        tipped = axis_rot(np.cross([0.0, 0.0, 1.0], toward), -lean) @ gripper_rot(psi)
        turn = rot_error(tipped, reach)
        angle = float(np.linalg.norm(turn))
        return reach if angle < 1e-9 else axis_rot(turn, share * angle) @ reach

    def freeze(self) -> None:
        """Keep the gripper's current lean while it holds something (only its yaw may turn),
        so a grasped object stays as level as it was on the table."""
        self.frozen = (self.rot(), self.cmd_psi)

    def unfreeze(self) -> None:
        self.frozen = None

    def held_lean(self) -> float | None:
        """World yaw the fingertips of a frozen grasp point to (None: about vertical)."""
        if self.frozen is None:
            return None
        tips = self._orientation(self.cmd_psi, 0.0)[:2, 2]
        if float(np.linalg.norm(tips)) < MIN_LEAN:
            return None
        return math.atan2(tips[1], tips[0])

    def reach_pitch(self, rot: np.ndarray, tilt: float) -> np.ndarray:
        """Lean the gripper with the reach (``REACH_LEAN``): far out, fingertips outwards, so
        the elbow never locks straight; close in, fingertips inwards, so the wrist keeps off
        its joint limits. Both are singular spots where the arm controller goes astray."""
        if tilt != 0.0:
            return rot
        # Lean for where the hand is until it nears the target (then for the target): a hand
        # far out leaning in for a target close in locks the elbow straight, and vice versa.
        at = self.view.eef_pos[:2]
        if self.lean_xy is not None and float(np.linalg.norm(self.lean_xy - at)) < LEAN_NEAR:
            at = self.lean_xy
        radial = at - self.view.base_xy
        dist = float(np.linalg.norm(radial))
        pitch = float(np.interp(dist, *REACH_LEAN))
        if pitch == 0.0:
            return rot
        u = np.array([radial[0] / dist, radial[1] / dist, 0.0])
        return axis_rot(np.cross([0.0, 0.0, 1.0], u), -pitch) @ rot

    def action(self, target: np.ndarray, speed: float = 1.0, noisy: bool = False) -> np.ndarray:
        """The action towards ``target``; near it an integral term removes the arm
        controller's steady-state offset (gravity, joint friction, contacts)."""
        self.cmd_psi += float(np.clip(self.psi - self.cmd_psi, -YAW_RATE, YAW_RATE))
        self.cmd_tilt += float(np.clip(self.tilt - self.cmd_tilt, -TILT_RATE, TILT_RATE))
        target = np.asarray(target, float)
        self.lean_xy = target[:2]
        view = self.view
        err = target - view.eef_pos
        if self._last_target is not None:  # a jump of the target resets the integral, per axis
            self._integral[np.abs(target - self._last_target) > 0.01] = 0.0
        self._last_target = target
        if float(np.linalg.norm(err)) < INTEGRAL_ZONE:
            self._integral = np.clip(
                self._integral + err * INTEGRAL_GAIN, -INTEGRAL_CAP, INTEGRAL_CAP
            )
        aim = target + self._integral
        self.transit = noisy
        return self.ctrl.action(
            view.eef_pos, view.eef_rot, aim, self.rot(), self.grip, speed, noisy
        )

    def new_motion(self) -> None:
        """Forget the integral term (a new primitive starts)."""
        self._integral = np.zeros(3)
        self._last_target = None

    def rot_err(self) -> float:
        """Angle between the gripper and the goal orientation."""
        goal = self._orientation(self.psi, self.tilt)
        return float(np.linalg.norm(rot_error(goal, self.view.eef_rot)))


def move(
    ctx: Ctx,
    target: np.ndarray | TargetFn,
    phase: str,
    *,
    tol: float = 0.01,
    rot_tol: float = 0.08,
    max_steps: int = 80,
    speed: float = 1.0,
    noisy: bool = False,
    until: Callable[[], bool] | None = None,
    fresh: bool = True,
    rest: int = 0,
) -> Motion:
    """Drive the grip site to ``target`` (a point or a callable giving one each step).

    Returns True once within ``tol`` (and ``rot_tol`` of the commanded orientation) or once
    ``until()`` holds; False after ``max_steps``. ``fresh`` False keeps the integral term of
    the motion before (a descent straight after a precise alignment). With ``rest`` > 0 it
    also returns True once it has come to rest near the target (see REST_MOVE): pushing on
    would only wind the controller up for the rest of ``max_steps``, a wait that nothing
    in the observation tells apart (a policy learning from it stalls there for good).
    """
    if fresh:  # a new motion starts without the last one's integral (no wind-up)
        ctx.new_motion()
    trail: list[np.ndarray] = []
    for _ in range(max_steps):
        goal = np.asarray(target() if callable(target) else target, float)
        if until is not None and until():
            return True
        err = float(np.linalg.norm(goal - ctx.view.eef_pos))
        if until is None and err < tol and ctx.rot_err() < rot_tol:
            return True
        trail.append(ctx.view.eef_pos)
        if (
            rest
            and len(trail) > rest
            and err < STUCK_ERR
            and float(np.linalg.norm(trail[-1] - trail[-1 - rest])) < REST_MOVE
        ):
            return True
        if (
            len(trail) > STUCK_STEPS
            and err > max(2 * tol, STUCK_ERR)
            and float(np.linalg.norm(trail[-1] - trail[-1 - STUCK_STEPS])) < STUCK_MOVE
        ):
            ctx.stuck = True  # blocked, or the arm against a joint limit
            log.debug("%s: stuck %.3f m short of %s", phase, err, np.round(goal, 3))
            return False
        yield ctx.action(goal, speed, noisy), phase
    return False


def wait(ctx: Ctx, steps: int, phase: str, hold: np.ndarray | None = None) -> Motion:
    """Hold the grip site still for ``steps`` control steps (the gripper acts meanwhile)."""
    point = ctx.view.eef_pos if hold is None else np.asarray(hold, float)
    ctx.new_motion()
    for _ in range(steps):
        yield ctx.action(point, 0.5), phase
    return True


def close_grip(ctx: Ctx, hold: np.ndarray, min_steps: int, max_steps: int = 24) -> Motion:
    """Close the gripper at ``hold``: at least ``min_steps`` control steps, then until the
    fingers have stopped moving (they close slowly from wide open onto a thin rim)."""
    ctx.grip = GRIP_CLOSE
    point = np.asarray(hold, float)
    ctx.new_motion()
    widths = [ctx.view.gripper_width]
    for k in range(max_steps):
        if k >= min_steps and len(widths) > 2 and abs(widths[-1] - widths[-3]) < GRIP_SETTLED:
            break
        yield ctx.action(point, 0.5), "grasp"
        widths.append(ctx.view.gripper_width)
    return True


def recover(ctx: Ctx) -> Motion:
    """Back out of a stuck arm: let go of whatever is held, rise, and go home (over the
    middle of the table, fingers down, neutral yaw) where the arm is comfortable."""
    ctx.grip, ctx.held, ctx.tip = GRIP_OPEN, None, None
    ctx.unfreeze()
    yield from wait(ctx, 5, "release")
    ctx.aim(NEUTRAL_PSI)
    view = ctx.view
    yield from move(ctx, view.eef_pos + np.array([0.0, 0.0, 0.05]), "retreat", max_steps=15)
    home = np.array([view.base_xy[0] + HOME[0], view.base_xy[1], HOME[1]])
    yield from move(ctx, home, "retreat", tol=0.03, rot_tol=0.2, max_steps=60)
    ctx.stuck = False
    return True


def lowest_below_eef(ctx: Ctx) -> float:
    """How far the lowest point of the gripper (or the object it holds) is below the grip site."""
    view = ctx.view
    depth = FINGER_DEPTH
    if ctx.held is not None:
        lo, _ = view.obj_box(ctx.held).aabb()
        depth = max(depth, float(view.eef_pos[2] - lo[2]))
    return depth


def held_radius(ctx: Ctx) -> float:
    if ctx.held is None:
        return FINGER_RADIUS
    lo, hi = ctx.view.obj_box(ctx.held).aabb()
    center = (lo + hi) / 2
    reach = float(np.linalg.norm(center[:2] - ctx.view.eef_pos[:2]))
    return max(FINGER_RADIUS, reach + float(np.max(hi[:2] - lo[:2])) / 2)


def transit_height(ctx: Ctx, goal: np.ndarray, exclude: tuple[str, ...] = ()) -> float:
    """Grip-site height that clears every obstacle on the straight path to ``goal``."""
    view = ctx.view
    skip = (*exclude, ctx.held) if ctx.held else exclude
    top = view.clear_height(view.eef_pos, goal, held_radius(ctx), tuple(skip))
    return min(MAX_Z, top + CLEAR_MARGIN + lowest_below_eef(ctx))


def transit(
    ctx: Ctx,
    goal: np.ndarray | TargetFn,
    phase: str,
    *,
    exclude: tuple[str, ...] = (),
    tol: float = 0.012,
    max_steps: int = 120,
    speed: float = 1.0,
    settle: bool = False,
) -> Motion:
    """Fly to ``goal``: up to a clear height, across, then down (each leg only if needed).

    ``settle`` stops over the goal before going down, so a held object that must go into
    a narrow opening does not swing into its rim on the way down.
    """

    def final() -> np.ndarray:
        return np.asarray(goal() if callable(goal) else goal, float)

    end = final()
    safe = max(transit_height(ctx, end, exclude), float(end[2]))
    start = ctx.view.eef_pos
    horizontal = float(np.linalg.norm(end[:2] - start[:2]))
    jitter = ctx.ctrl.jitter()
    log.debug(
        "transit (%s) from %s to %s over %.3f", phase, np.round(start, 3), np.round(end, 3), safe
    )
    ctx.stuck = False
    if horizontal > 0.03 and start[2] < safe - 0.01:
        up = np.array([start[0], start[1], safe + jitter[2]])
        yield from move(ctx, up, phase, tol=0.025, rot_tol=0.6, max_steps=40, noisy=True)
        if ctx.stuck:
            return False
    if horizontal > 0.03:

        def over() -> np.ndarray:
            e = final()
            return np.array([e[0] + jitter[0], e[1] + jitter[1], max(safe, e[2]) + jitter[2]])

        yield from move(ctx, over, phase, tol=0.025, rot_tol=0.3, max_steps=max_steps, noisy=True)
        if ctx.stuck:
            return False
        if settle:

            def above() -> np.ndarray:
                e = final()
                return np.array([e[0], e[1], max(safe, e[2])])

            yield from move(ctx, above, phase, tol=0.006, rot_tol=0.1, max_steps=40, speed=0.5)
    return (
        yield from move(ctx, final, phase, tol=tol, max_steps=max_steps, speed=speed, noisy=False)
    )

"""Skills: pick and lift, from the primitives (place: placing.py; drawers, doors and knobs:
articulation.py).

A skill is a generator over ``(action, phase)`` steps returning whether it succeeded; it is
registered in :data:`SKILLS` under its name. Phase labels come from :data:`PHASES`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from robolearn.experts.motion import GRIP_OPEN
from robolearn.experts.primitives import Ctx, Motion, close_grip, move, transit, wait
from robolearn.experts.view import Grasp
from robolearn.registry import Registry
from robolearn.tasks.world import TABLE_Z

PHASES = (
    "reach",
    "grasp",
    "lift",
    "transport",
    "place",
    "release",
    "retreat",
    "open",
    "close",
    "turn",
    "push",
)
SKILLS: Registry[Callable[..., Motion]] = Registry("expert skill")
UP = np.array([0.0, 0.0, 1.0])
MISS_OFFSET = (0.03, 0.05)  # m: how far off its grasp point a deliberate miss aims (uniform)
MISS_SPREAD = math.pi / 4  # rad: its direction, about square to the fingers' closing line
# A rim grasp (its point this far from the object's centre) closes along the radius, so a miss
# sideways would pinch the rim further along: it aims this far outwards instead (uniform, m).
RIM_GRASP = 0.02
RIM_MISS_OFFSET = (0.05, 0.07)
REST_STEPS = 6  # a descent to a grasp that has come to rest this long closes there (v2)


def _obj_lifted(ctx: Ctx, name: str, rest_z: float, eef_rise: float) -> bool:
    """The object rose with the grip site (its centre: a pinched bowl hangs tilted)."""
    gripping = ctx.view.gripper_width > 0.002
    rise = float(ctx.view.obj_box(name).center[2]) - rest_z
    return bool(gripping and rise > min(0.03, 0.5 * eef_rise))


@SKILLS.register("pick")
def pick(
    ctx: Ctx,
    name: str,
    towards: np.ndarray | None = None,
    psi: float | None = None,
    high: bool = False,
    attempts: int = 3,
) -> Motion:
    """Grasp object ``name`` from the top and lift it; retries a missed grasp.

    ``psi`` fixes the closing yaw of round objects (to lay them down along an axis later);
    ``high`` grips near the top (for lowering it into a narrow opening). With ``ctx.miss``
    the first attempt may descend beside the grasp point and close there on purpose
    (``ctx.deliberate`` while it does): the lift, the release and the retry that follow are
    the recovery a learned policy needs after a grasp of its own goes wrong.
    """
    view, style = ctx.view, ctx.style
    attempt = 0
    while attempt < attempts:
        ctx.grip, ctx.held = GRIP_OPEN, None
        ctx.unfreeze()
        grasp = view.grasp(name, towards, psi, high)
        ctx.aim(grasp.psi, exact=psi is not None or grasp.exact)
        ctx.tip = _tip(grasp)
        pre = grasp.point + np.array([0.0, 0.0, style.approach_height])
        yield from transit(ctx, pre, "reach", tol=0.02)
        if ctx.stuck:
            return False
        grasp = view.grasp(name, towards, psi, high)
        ctx.aim(grasp.psi, exact=psi is not None or grasp.exact)
        ctx.tip = _tip(grasp)
        point = grasp.point
        if attempt == 0 and _miss_now(ctx):
            point = grasp.point + _miss_offset(ctx, grasp, view.obj_box(name).center)
            ctx.deliberate = True
            attempts += 1  # the deliberate miss does not use up a real attempt
        yield from move(
            ctx, point, "reach", tol=0.006, rot_tol=0.05, max_steps=60, speed=0.6, rest=REST_STEPS
        )
        rest_z = float(view.obj_box(name).center[2])
        start_z = float(view.eef_pos[2])
        ctx.freeze()
        ctx.tip = None
        yield from close_grip(ctx, point, style.grasp_wait)
        if ctx.deliberate:  # a deliberate miss may land a finger on the object: not stuck
            ctx.deliberate = ctx.stuck = False
        up = grasp.point + np.array([0.0, 0.0, style.lift_height])
        yield from move(ctx, up, "lift", tol=0.02, max_steps=40, speed=0.7)
        if _obj_lifted(ctx, name, rest_z, float(view.eef_pos[2]) - start_z):
            ctx.held = name
            return True
        ctx.grip = GRIP_OPEN
        yield from wait(ctx, 5, "release")
        attempt += 1
    return False


def _miss_now(ctx: Ctx) -> bool:
    return ctx.miss > 0 and ctx.miss_rng is not None and bool(ctx.miss_rng.random() < ctx.miss)


def _miss_offset(ctx: Ctx, grasp: Grasp, center: np.ndarray) -> np.ndarray:
    """A horizontal offset that makes the fingers close on air: MISS_OFFSET m within
    MISS_SPREAD of square to the closing line (yaw ``grasp.psi``), to either side; for a rim
    grasp RIM_MISS_OFFSET m outwards from the object's centre, within MISS_SPREAD."""
    rng = ctx.miss_rng
    assert rng is not None  # _miss_now drew from it
    radial = grasp.point[:2] - np.asarray(center, float)[:2]
    spread = rng.uniform(-MISS_SPREAD, MISS_SPREAD)
    if float(np.linalg.norm(radial)) > RIM_GRASP:
        angle = math.atan2(radial[1], radial[0]) + spread
        dist = rng.uniform(*RIM_MISS_OFFSET)
    else:
        side = 1.0 if rng.random() < 0.5 else -1.0
        angle = grasp.psi + side * math.pi / 2 + spread
        dist = rng.uniform(*MISS_OFFSET)
    return np.array([dist * math.cos(angle), dist * math.sin(angle), 0.0])


def _tip(grasp: Grasp) -> tuple[np.ndarray, float, np.ndarray] | None:
    return None if grasp.toward is None else (grasp.toward, grasp.lean, grasp.point)


@SKILLS.register("lift")
def lift(ctx: Ctx, name: str, height: float = 0.1) -> Motion:
    """Hold the grasped object with its bottom ``height`` above the table."""
    if ctx.held != name:
        return False
    target = ctx.view.eef_pos.copy()
    lo, _ = ctx.view.obj_box(name).aabb()
    target[2] += max(0.0, TABLE_Z + height - lo[2])
    yield from move(ctx, target, "lift", tol=0.01, max_steps=40, speed=0.6)
    yield from wait(ctx, 12, "lift")
    return True

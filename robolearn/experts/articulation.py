"""Articulation skills: pull or push a drawer (slide), swing a door, turn a knob.

Each grasps the part's handle (a knob's lever is pushed with closed fingers instead), drives
it until its joint fraction reaches the target, lets go and backs off. A drawer that a
fixture in front of it blocks well past its Open threshold counts as opened (``_reached``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator

import numpy as np

from robolearn.experts.motion import GRIP_CLOSE, GRIP_OPEN, axis_rot
from robolearn.experts.primitives import Ctx, Motion, Step, close_grip, move, transit, wait
from robolearn.experts.skills import SKILLS, UP

STALL_STEPS = 10  # a drawer or door that moved less than STALL_MOVE over this many steps
STALL_MOVE = 0.005  # (joint fraction) is blocked; beyond its threshold it counts as done
STALL_MARGIN = 0.15  # ... when this far past the predicate's threshold
# A knob's lever is pushed from KNOB_START rad behind it (on the circle the fingers push it
# along); the closed fingers come down KNOB_DESCENT rad behind it and KNOB_DESCENT_RADIUS m
# from its pivot, clear of the lever and of the knob's body, and slide to the start at the
# lever's height (coming down at the start, a policy's fingers a centimetre off landed on the
# lever; coming down on the push's circle, 1 cm short of it, on the knob's body).
KNOB_START, KNOB_DESCENT, KNOB_DESCENT_RADIUS = 0.75, 1.3, 0.045
# The push ends once the knob's fraction is KNOB_PAST beyond its predicate's threshold (the
# observation carries the fraction): the lever slips off the fingers at 0.61-0.67 of its range,
# short of the 0.8 aimed at, and pushing on there until the stuck timer fired held the hand
# still for 11-15 steps, a wait a policy repeats for good (long's stove-first tasks).
KNOB_PAST = 0.08


def _grasp_handle(ctx: Ctx, part: str) -> Motion:
    view, style = ctx.view, ctx.style
    fname, art = view.articulation(part)
    grasp_yaw = art.grasp.yaw if art.grasp else 0.0
    anchor, axis = view.hinge(part)
    turned = view.joint_value(part) * float(axis[2]) if art.kind == "hinge" else 0.0
    ctx.aim(view.fixture_yaw(fname) + grasp_yaw + turned)
    ctx.grip = GRIP_OPEN
    handle = view.handle_pos(part)
    yield from transit(ctx, handle + UP * style.approach_height, "reach", tol=0.02)
    yield from move(
        ctx,
        lambda: view.handle_pos(part),
        "reach",
        tol=0.005,
        rot_tol=0.05,
        max_steps=60,
        speed=0.5,
    )
    ctx.freeze()
    yield from close_grip(ctx, view.handle_pos(part), style.grasp_wait)
    return True


def _let_go(ctx: Ctx, away: np.ndarray) -> Motion:
    ctx.grip = GRIP_OPEN
    yield from wait(ctx, 5, "release")
    back = ctx.view.eef_pos + away * 0.03 + np.array([0.0, 0.0, 0.07])
    yield from move(ctx, back, "retreat", tol=0.02, max_steps=30)
    ctx.unfreeze()
    return True


def _direction(ctx: Ctx, part: str, target: float) -> float:
    """+1 when the joint fraction of ``part`` must rise to reach ``target``, else -1."""
    return 1.0 if target > ctx.view.joint_fraction(part) else -1.0


def _take_handle(ctx: Ctx, part: str, target: float) -> Generator[Step, None, tuple[float, str]]:
    """Grasp the handle of ``part``; returns the direction to ``target`` (measured before the
    grasp) and the phase label of the pull: ``open`` or ``close``."""
    sign = _direction(ctx, part, target)
    yield from _grasp_handle(ctx, part)
    return sign, "open" if sign > 0 else "close"


def _reached(
    ctx: Ctx, part: str, target: float, sign: float, past: float | None = None
) -> Callable[[], bool]:
    """Whether the joint of ``part`` got to ``target``, or got well past its predicate's
    threshold and stopped there (a drawer blocked by a fixture in front of it), or, with
    ``past``, got that far beyond the threshold at all (a knob's push)."""
    _, art = ctx.view.articulation(part)

    def beyond(margin: float) -> float:  # the threshold moved ``margin`` further along
        return art.on_threshold + margin if sign > 0 else art.off_threshold - margin

    enough = beyond(STALL_MARGIN)
    history: list[float] = []

    def check() -> bool:
        frac = ctx.view.joint_fraction(part)
        history.append(frac)
        if sign * (frac - target) >= 0.0:
            return True
        if past is not None and sign * (frac - beyond(past)) >= 0.0:
            return True
        stalled = len(history) > STALL_STEPS and abs(frac - history[-STALL_STEPS]) < STALL_MOVE
        return stalled and sign * (frac - enough) >= 0.0

    return check


@SKILLS.register("slide")
def slide(ctx: Ctx, part: str, target: float) -> Motion:
    """Pull or push a drawer by its handle until its joint fraction reaches ``target``."""
    view = ctx.view
    sign, phase = yield from _take_handle(ctx, part, target)
    axis = view.push_axis(part) * sign

    def lead() -> np.ndarray:
        return view.handle_pos(part) + axis * 0.04

    ok = yield from move(
        ctx, lead, phase, max_steps=80, speed=0.6, until=_reached(ctx, part, target, sign)
    )
    yield from _let_go(ctx, -axis)
    return ok


@SKILLS.register("swing")
def swing(ctx: Ctx, part: str, target: float) -> Motion:
    """Swing a hinged door by its handle until its joint fraction reaches ``target``."""
    view = ctx.view
    sign, phase = yield from _take_handle(ctx, part, target)
    anchor, axis = view.hinge(part)
    psi0, q0 = ctx.psi, view.joint_value(part)

    def lead() -> np.ndarray:
        q = view.joint_value(part)
        ctx.aim(psi0 + (q - q0) * float(axis[2]), exact=True)
        rel = view.handle_pos(part) - anchor
        return anchor + axis_rot(axis, sign * 0.25) @ rel

    ok = yield from move(
        ctx, lead, phase, max_steps=100, speed=0.6, until=_reached(ctx, part, target, sign)
    )
    radial = view.handle_pos(part) - anchor
    radial[2] = 0.0
    yield from _let_go(ctx, np.cross(axis, radial) / max(np.linalg.norm(radial), 1e-6) * -sign)
    return ok


@SKILLS.register("turn")
def turn(ctx: Ctx, part: str, target: float) -> Motion:
    """Push a knob's lever sideways with closed fingers until its fraction reaches ``target``."""
    view, style = ctx.view, ctx.style
    sign = _direction(ctx, part, target)
    anchor, axis = view.hinge(part)
    tip = view.handle_pos(part)
    height = tip[2] + 0.004
    radius = 0.028

    def angle() -> float:
        rel = view.handle_pos(part) - anchor
        return math.atan2(rel[1], rel[0])

    def at(theta: float, r: float = radius) -> np.ndarray:
        return np.array([anchor[0] + r * math.cos(theta), anchor[1] + r * math.sin(theta), height])

    spin = sign * float(axis[2])  # world-z direction the lever tip moves in
    lever = angle()
    start = at(lever - spin * KNOB_START)
    behind = at(lever - spin * KNOB_DESCENT, KNOB_DESCENT_RADIUS)
    ctx.grip = GRIP_CLOSE
    ctx.aim(lever - spin * KNOB_START)
    yield from transit(ctx, behind + UP * style.approach_height, "reach", tol=0.02)
    yield from move(ctx, behind, "reach", tol=0.006, rot_tol=0.08, max_steps=50, speed=0.5)
    yield from move(ctx, start, "reach", tol=0.006, rot_tol=0.08, max_steps=30, speed=0.5)

    def lead() -> np.ndarray:
        return at(angle() + spin * 0.45)

    done = _reached(ctx, part, target, sign, past=KNOB_PAST)
    ok = yield from move(ctx, lead, "turn", max_steps=80, speed=0.5, until=done)
    yield from move(ctx, view.eef_pos + UP * 0.08, "retreat", tol=0.02, max_steps=25)
    return ok

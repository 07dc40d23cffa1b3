"""Skills: pick, place, lift, and operating drawers, doors and knobs, from the primitives.

A skill is a generator over ``(action, phase)`` steps returning whether it succeeded; it is
registered in :data:`SKILLS` under its name. Phase labels come from :data:`PHASES`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from robolearn.experts.motion import GRIP_CLOSE, GRIP_OPEN, axis_rot, gripper_rot
from robolearn.experts.primitives import Ctx, Motion, move, transit, wait
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


@dataclass(frozen=True)
class PlaceGoal:
    """Where a held object goes: its box centre xy over ``xy``, its bottom at ``support_z``.

    With ``tilt`` > 0 the gripper turns its closing axis to yaw ``psi`` over the target and
    then tilts the object by ``tilt`` about that axis (fingertips towards ``psi + pi/2``),
    laying tall objects down before they go in.
    """

    xy: np.ndarray
    support_z: float
    tilt: float = 0.0
    psi: float | None = None
    precise: bool = False  # align over the target to a few mm first (narrow openings)
    rim_z: float | None = None  # the bottom must clear this height until over the target


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
    ``high`` grips near the top (for lowering it into a narrow opening).
    """
    view, style = ctx.view, ctx.style
    for _ in range(attempts):
        ctx.grip, ctx.held = GRIP_OPEN, None
        ctx.unfreeze()
        grasp = view.grasp(name, towards, psi, high)
        ctx.aim(grasp.psi, exact=psi is not None)
        pre = grasp.point + np.array([0.0, 0.0, style.approach_height])
        yield from transit(ctx, pre, "reach", tol=0.02)
        grasp = view.grasp(name, towards, psi, high)
        ctx.aim(grasp.psi, exact=psi is not None)
        yield from move(ctx, grasp.point, "reach", tol=0.006, rot_tol=0.05, max_steps=60, speed=0.6)
        rest_z = float(view.obj_box(name).center[2])
        start_z = float(view.eef_pos[2])
        ctx.grip = GRIP_CLOSE
        ctx.freeze()
        yield from wait(ctx, style.grasp_wait, "grasp", hold=grasp.point)
        up = grasp.point + np.array([0.0, 0.0, style.lift_height])
        yield from move(ctx, up, "lift", tol=0.02, max_steps=40, speed=0.7)
        if _obj_lifted(ctx, name, rest_z, float(view.eef_pos[2]) - start_z):
            ctx.held = name
            return True
        ctx.grip = GRIP_OPEN
        yield from wait(ctx, 5, "release")
    return False


def _bottom_offset(ctx: Ctx, name: str) -> np.ndarray:
    """Grip site minus the held object's bottom point (box centre xy, lowest z)."""
    lo, hi = ctx.view.obj_box(name).aabb()
    bottom = np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2]])
    return ctx.view.eef_pos - bottom


@SKILLS.register("place")
def place(ctx: Ctx, name: str, goal: PlaceGoal) -> Motion:
    """Carry the held object ``name`` over ``goal``, lower it, let go and back off."""
    view, style = ctx.view, ctx.style
    if ctx.held != name:
        return False
    if goal.psi is not None:
        ctx.aim(goal.psi, exact=True)

    def over(height: float) -> Callable[[], np.ndarray]:
        def target() -> np.ndarray:
            xyz = np.array([goal.xy[0], goal.xy[1], goal.support_z + height])
            return xyz + _bottom_offset(ctx, name)

        return target

    hover = 0.06 + style.release_height
    if goal.rim_z is not None:
        hover = max(hover, goal.rim_z + 0.025 - goal.support_z)
    yield from transit(ctx, over(hover), "transport", tol=0.015, max_steps=150)
    if goal.tilt:
        ctx.aim(ctx.psi, goal.tilt, exact=True)
        yield from move(ctx, view.eef_pos, "transport", tol=0.03, rot_tol=0.12, max_steps=40)
        yield from move(ctx, over(hover), "transport", tol=0.015, max_steps=30)
    if goal.precise:
        yield from move(ctx, over(hover), "transport", tol=0.002, max_steps=40, speed=0.3)
    if not _still_held(ctx, name):
        return False
    low = over(style.release_height)
    floor = view.gripper_floor(low()[:2], gripper_rot(ctx.psi, ctx.tilt), (name,))

    def down() -> np.ndarray:
        target = low()
        target[2] = max(target[2], floor)
        return target

    speed = 0.3 if goal.precise else 0.5
    yield from move(
        ctx, down, "place", tol=0.006, rot_tol=0.15, max_steps=60, speed=speed, fresh=True
    )
    ctx.grip = GRIP_OPEN
    yield from wait(ctx, 6, "release")
    ctx.held = None
    up = view.eef_pos + np.array([0.0, 0.0, 0.08])
    if goal.tilt:  # pull the fingers out along their own axis first
        up = view.eef_pos - view.eef_rot[:, 2] * 0.08 + np.array([0.0, 0.0, 0.05])
    yield from move(ctx, up, "retreat", tol=0.02, rot_tol=1.0, max_steps=30)
    ctx.unfreeze()
    ctx.aim(ctx.psi)
    return True


def _still_held(ctx: Ctx, name: str) -> bool:
    box = ctx.view.obj_box(name)
    return bool(
        ctx.view.gripper_width > 0.002
        and box.center[2] - box.half[2] * 0.5 > TABLE_Z + 0.015
        and np.linalg.norm(ctx.view.obj_pos(name) - ctx.view.eef_pos) < 0.25
    )


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
    ctx.grip = GRIP_CLOSE
    ctx.freeze()
    yield from wait(ctx, style.grasp_wait, "grasp", hold=view.handle_pos(part))
    return True


def _let_go(ctx: Ctx, away: np.ndarray) -> Motion:
    ctx.grip = GRIP_OPEN
    yield from wait(ctx, 5, "release")
    back = ctx.view.eef_pos + away * 0.03 + np.array([0.0, 0.0, 0.07])
    yield from move(ctx, back, "retreat", tol=0.02, max_steps=30)
    ctx.unfreeze()
    return True


def _reached(ctx: Ctx, part: str, target: float, sign: float) -> Callable[[], bool]:
    return lambda: sign * (ctx.view.joint_fraction(part) - target) >= 0.0


@SKILLS.register("slide")
def slide(ctx: Ctx, part: str, target: float) -> Motion:
    """Pull or push a drawer by its handle until its joint fraction reaches ``target``."""
    view = ctx.view
    sign = 1.0 if target > view.joint_fraction(part) else -1.0
    phase = "open" if sign > 0 else "close"
    yield from _grasp_handle(ctx, part)
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
    sign = 1.0 if target > view.joint_fraction(part) else -1.0
    phase = "open" if sign > 0 else "close"
    yield from _grasp_handle(ctx, part)
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
    sign = 1.0 if target > view.joint_fraction(part) else -1.0
    anchor, axis = view.hinge(part)
    tip = view.handle_pos(part)
    height = tip[2] + 0.004
    radius = 0.028

    def angle() -> float:
        rel = view.handle_pos(part) - anchor
        return math.atan2(rel[1], rel[0])

    def at(theta: float) -> np.ndarray:
        return np.array(
            [anchor[0] + radius * math.cos(theta), anchor[1] + radius * math.sin(theta), height]
        )

    spin = sign * float(axis[2])  # world-z direction the lever tip moves in
    start = at(angle() - spin * 0.75)
    ctx.grip = GRIP_CLOSE
    ctx.aim(angle() - spin * 0.75)
    yield from transit(ctx, start + UP * style.approach_height, "reach", tol=0.02)
    yield from move(ctx, start, "reach", tol=0.006, rot_tol=0.08, max_steps=50, speed=0.5)

    def lead() -> np.ndarray:
        return at(angle() + spin * 0.45)

    ok = yield from move(
        ctx, lead, "turn", max_steps=80, speed=0.5, until=_reached(ctx, part, target, sign)
    )
    yield from move(ctx, view.eef_pos + UP * 0.08, "retreat", tol=0.02, max_steps=25)
    return ok

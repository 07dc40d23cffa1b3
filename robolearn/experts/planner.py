"""From a TaskSpec's goal (a conjunction of atoms) to an ordered list of skill invocations.

:func:`plan` orders the work: articulations the placements depend on first (a drawer must be
open before something goes in), then the other articulations, then pick-and-place steps
(objects that must lie down before the upright ones sharing their container), then the
closers (``Closed`` after ``In``). Place targets are computed when the step runs, from the
live receptacle boxes, so a drawer's inside is wherever the drawer now is.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from robolearn.experts import articulation, placing
from robolearn.experts.carrying import LEAN_BAND
from robolearn.experts.motion import lay_frame
from robolearn.experts.placing import PlaceGoal
from robolearn.experts.primitives import Ctx, Motion
from robolearn.experts.skills import SKILLS
from robolearn.experts.view import RIM_SLOPE, SceneView
from robolearn.tasks.catalogue import FIXTURES
from robolearn.tasks.predicates import XY_MARGIN, Box, holds
from robolearn.tasks.spec import Atom, TaskSpec
from robolearn.tasks.world import TABLE_Z

SKILL_MODULES = (articulation, placing)  # importing them registers their skills
ARTICULATION_PREDS = ("Open", "Closed", "TurnedOn", "TurnedOff")
OPEN_TARGET = {"slide": 0.93, "hinge": 0.62}  # fraction to drive "high" predicates to
KNOB_TARGET = 0.8
FAR_RIM_CARRY = 0.35  # m outwards: a rim grasp's carry that counts as far out (_far_rim)
LIFT_HEIGHT = 0.1
IN_SAFETY = 0.0015  # an upright object's centre must sit this far inside the "in" box's top
OPENING_SLACK = 0.009  # a container's opening is this much wider than its "in" box
SNUG_ROOM = 0.012  # an opening this little (m) wider than an object's footprint is snug
TILT = 1.5  # rad the gripper tilts to lay an object down
# An On target sits up to this fraction of the support's half size nearer the robot, and up to
# FAR_SIDE of it when the support's centre is beyond FAR_REACH (m) from the robot's base.
NEAR_SIDE, FAR_SIDE, FAR_REACH = 0.4, 0.75, 0.75


@dataclass(frozen=True)
class PlanStep:
    """One skill invocation: ``skill`` names an entry of SKILLS; ``run`` executes it."""

    skill: str
    args: tuple[str, ...]
    run: Callable[[Ctx], Motion]

    def __str__(self) -> str:
        return f"{self.skill}({', '.join(self.args)})"


def _articulation_step(view: SceneView, atom: Atom) -> PlanStep:
    (part,) = atom.args
    _, art = view.articulation(part)
    high = atom.pred == art.predicates[0]
    if art.predicates[0] == "TurnedOn":
        skill = "turn"
        target = KNOB_TARGET if high else art.off_threshold * 0.3
    else:
        skill = "slide" if art.kind == "slide" else "swing"
        target = OPEN_TARGET[art.kind] if high else art.off_threshold * 0.3
    fn = SKILLS.get(skill)
    return PlanStep(skill, (part, f"{target:.2f}"), lambda ctx: fn(ctx, part, target))


def _drawer_of(spec: TaskSpec, receptacle: str) -> str | None:
    """``<fixture>.<articulation>`` a fixture receptacle moves with (a drawer), if any."""
    if "." not in receptacle:
        return None
    fname, rname = receptacle.split(".", 1)
    try:
        ftype = FIXTURES.get(spec.fixture(fname).type)
    except KeyError:
        return None
    for rec in ftype.receptacles:
        if rec.name == rname and rec.body:
            for art in ftype.articulations:
                if art.name == rec.body:
                    return f"{fname}.{art.name}"
    return None


def _fit(view: SceneView, obj: str, dest: str) -> tuple[bool, float] | None:
    """For ``obj`` standing In ``dest``: whether its centre is low enough, and the room
    (m) its footprint leaves in the opening; None when ``dest`` has no "in" box."""
    box = view.receptacle(dest, "in")
    if box is None:
        return None
    otype, scale = view.obj_type[obj], view.obj_scale[obj]
    hx, hy, hz = (v * scale for v in otype.half_size)
    lo, hi = box.aabb()
    opening = float(min(box.half[:2])) + OPENING_SLACK
    fits_height = bool(lo[2] + hz <= hi[2] + XY_MARGIN - IN_SAFETY)
    round_body = otype.grasp is not None and otype.grasp.yaw_symmetric
    footprint = hx if round_body else math.hypot(hx, hy) * 0.85
    return fits_height, opening - footprint


def needs_tilt(view: SceneView, obj: str, dest: str) -> bool:
    """Whether ``obj`` must be laid down (tilted 90 deg in the hand) to end up In ``dest``."""
    fit = _fit(view, obj, dest)
    return fit is not None and not (fit[0] and fit[1] >= 0.0)


def snug(view: SceneView, obj: str, dest: str) -> bool:
    """Whether upright ``obj`` goes into ``dest``'s opening with little room to spare."""
    fit = _fit(view, obj, dest)
    return fit is not None and fit[1] < SNUG_ROOM


def lay_axis(view: SceneView, dest: str) -> float | None:
    """Yaw of the long axis of ``dest``'s "in" box (None when it is about square)."""
    box = view.receptacle(dest, "in")
    if box is None or box.half[0] < box.half[1] + 0.01:
        return None
    return math.atan2(box.rot[1, 0], box.rot[0, 0])


def _slot(n: int, k: int, lying: bool, n_lying: int) -> tuple[float, float]:
    """Local (x, y) offset in a container's "in" box of the k-th of n objects."""
    if n == 1:
        return 0.0, 0.0
    if n_lying == 0:
        xs = np.linspace(-0.042, 0.042, n)
        return float(xs[k]), 0.0
    if lying:
        return 0.0, -0.03
    upright = n - n_lying
    xs = np.linspace(-0.042, 0.042, upright) if upright > 1 else np.zeros(1)
    return float(xs[k - n_lying]), 0.032


def _place_goal(
    ctx: Ctx, obj: str, pred: str, dest: str, slot: tuple[float, float], lying: bool
) -> PlaceGoal:
    """Where ``obj`` goes for ``(pred obj dest)``, from the receptacles' current poses."""
    view = ctx.view
    jitter = ctx.ctrl.jitter(0.5)[:2]
    if pred == "On" and dest in {r.name for r in view.spec.regions}:
        region = view.spec.region(dest)
        return PlaceGoal(np.asarray(region.center, float), TABLE_Z)
    if pred == "In":
        box = view.receptacle(dest, "in")
        if box is None:
            raise ValueError(f"{dest!r} has no 'in' receptacle")
        spread = view.obj_scale.get(dest, 1.0)  # a scaled-up basket spreads its slots too
        xy = (box.center + box.rot @ np.array([slot[0] * spread, slot[1] * spread, 0.0]))[:2]
        lo, hi = box.aabb()
        rim = float(hi[2])
        if not lying:
            drop = snug(view, obj, dest)
            atom = Atom("In", (obj, dest))

            def inside() -> bool:
                return holds(atom, view.env.world_state())

            return PlaceGoal(xy, float(lo[2]), precise=True, rim_z=rim, drop=drop, inside=inside)
        psi, sign = lay_frame(lay_axis(view, dest))
        return PlaceGoal(xy, float(lo[2]), tilt=sign * TILT, psi=psi, precise=True, rim_z=rim)
    box = view.receptacle(dest, "on") if pred == "On" else None
    if box is not None:
        lo, _ = box.aabb()
        return PlaceGoal(_near_side(box, view.base_xy) + jitter, float(lo[2]))
    target = view.box(dest)
    return PlaceGoal(target.center[:2].copy(), target.top_z)


def _near_side(box: Box, towards: np.ndarray) -> np.ndarray:
    """A point of ``box``'s top face shifted from its centre towards ``towards`` (the robot),
    by at most ``NEAR_SIDE`` of its half size: far supports (the stove) stay in reach."""
    rel = box.rot.T @ np.array([*(np.asarray(towards, float)[:2] - box.center[:2]), 0.0])
    far = float(np.linalg.norm(rel[:2])) > FAR_REACH
    lim = box.half[:2] * (FAR_SIDE if far else NEAR_SIDE)
    shift = np.array([*np.clip(rel[:2], -lim, lim), 0.0])
    return (box.center + box.rot @ shift)[:2]


def plan(spec: TaskSpec, view: SceneView, status: list[bool] | None = None) -> list[PlanStep]:
    """Ordered skill steps that achieve the atoms of ``spec.goal`` not yet in ``status``."""
    status = status if status is not None else [False] * len(spec.goal)
    todo = [a for a, ok in zip(spec.goal, status) if not ok]
    goal_parts = {a.args[0]: a for a in spec.goal if a.pred in ARTICULATION_PREDS}
    first: list[PlanStep] = []
    last: list[PlanStep] = []
    middle: list[PlanStep] = []
    placements = [a for a in todo if a.pred not in ARTICULATION_PREDS]
    for atom in placements:
        drawer = _drawer_of(spec, atom.args[1]) if len(atom.args) > 1 else None
        if drawer is None:
            continue
        _, art = view.articulation(drawer)
        if view.joint_fraction(drawer) < art.on_threshold + 0.1:
            first.append(_articulation_step(view, Atom(art.predicates[0], (drawer,))))
        closer = goal_parts.get(drawer)
        if closer is not None and closer.pred == art.predicates[1]:
            last.append(_articulation_step(view, closer))
    deferred = {s.args[0] for s in first + last}
    for atom in todo:
        if atom.pred in ARTICULATION_PREDS and atom.args[0] not in deferred:
            first.append(_articulation_step(view, atom))
    middle = _placement_steps(spec, view, placements)
    return first + middle + last


def _pick(ctx: Ctx, obj: str, into: str | None, lay: bool, dest: str | None) -> Motion:
    """Pick ``obj``; gripped high when it goes ``into`` a container, and a round one that
    will be laid down there is gripped across the direction it will lie along."""
    psi = None
    otype = ctx.view.obj_type[obj]
    if lay and into is not None and otype.grasp is not None and otype.grasp.yaw_symmetric:
        psi, _ = lay_frame(lay_axis(ctx.view, into))
    towards = _far_rim(ctx.view, obj, dest)
    return SKILLS.get("pick")(ctx, obj, towards, psi=psi, high=into is not None and not lay)


def _far_rim(view: SceneView, obj: str, dest: str | None) -> np.ndarray | None:
    """For a straight rim (a mug) gripped close in and carried far out: a point beyond the
    object, away from the robot, so the rim is gripped on its far side. The hand then turns
    the object half round on the way (carrying.turn_lean), which puts it ahead of the hand
    (on the near side it would end up behind the hand, out of reach).

    "Far out" is also a carry of more than ``FAR_RIM_CARRY`` outwards (experts version 4):
    the cabinet's top lies just beyond the lean band (0.70 m) and the mug about 0.45 m from
    the base, right at its near edge, so the two distances alone flipped the grasp between
    the rims from one layout to the next (21 of 45 training demos the far rim), which no
    policy learns from 45 demos; gripped on the near rim the mug reaches the cabinet top
    from every layout (40 of 40 episodes), while the stove top (a 0.46-0.51 m carry) still
    needs the far rim."""
    if dest is None or RIM_SLOPE.get(view.obj_type[obj].name) != 0.0:
        return None
    pos = view.obj_pos(obj)[:2]
    if dest in {r.name for r in view.spec.regions}:
        goal = np.asarray(view.spec.region(dest).center, float)
    else:
        box = view.receptacle(dest, "in") or view.receptacle(dest, "on")
        goal = (box if box is not None else view.box(dest)).center[:2]
    here = float(np.linalg.norm(pos - view.base_xy))
    there = float(np.linalg.norm(goal - view.base_xy))
    far_out = here < LEAN_BAND[0] and there > LEAN_BAND[1] and there - here > FAR_RIM_CARRY
    return pos + (pos - view.base_xy) if far_out else None


def _placement_steps(spec: TaskSpec, view: SceneView, atoms: list[Atom]) -> list[PlanStep]:
    place, lift = SKILLS.get("place"), SKILLS.get("lift")
    groups: dict[str, list[Atom]] = {}
    for atom in atoms:
        if atom.pred == "In":
            groups.setdefault(atom.args[1], []).append(atom)
    lying = {a.args[0]: needs_tilt(view, a.args[0], a.args[1]) for a in atoms if a.pred == "In"}
    ordered = sorted(atoms, key=lambda a: a.pred != "In" or not lying.get(a.args[0], False))
    steps: list[PlanStep] = []
    for atom in ordered:
        obj = atom.args[0]
        into = atom.args[1] if atom.pred == "In" else None
        lay = lying.get(obj, False)
        to = atom.args[1] if len(atom.args) > 1 else None
        steps.append(
            PlanStep(
                "pick", (obj,), lambda ctx, o=obj, i=into, ly=lay, d=to: _pick(ctx, o, i, ly, d)
            )
        )
        if atom.pred == "Lifted":
            steps.append(PlanStep("lift", (obj,), lambda ctx, o=obj: lift(ctx, o, LIFT_HEIGHT)))
            continue
        dest = atom.args[1]
        slot, lie = (0.0, 0.0), False
        if atom.pred == "In":
            mates = sorted(groups[dest], key=lambda a: not lying[a.args[0]])
            n_lying = sum(lying[a.args[0]] for a in mates)
            k = [a.args[0] for a in mates].index(obj)
            lie = lying[obj]
            slot = _slot(len(mates), k, lie, n_lying)

        def run(ctx: Ctx, o: str = obj, a: Atom = atom, s: tuple = slot, ly: bool = lie) -> Motion:
            goal = _place_goal(ctx, o, a.pred, a.args[1], s, ly)
            return place(ctx, o, goal)

        steps.append(PlanStep("place", (obj, dest), run))
    return steps

"""Seeded, collision-free initial placements from a TaskSpec's ``init`` atoms.

:func:`sample_init` turns the init atoms into an :class:`InitState` (object poses, joint
fractions, robot joint noise). It is pure: the same spec and Generator give the same state.
Impossible layouts raise :class:`~robolearn.errors.PlacementError` after bounded retries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from robolearn.errors import PlacementError
from robolearn.tasks.catalogue import FIXTURES, OBJECTS, ObjectType
from robolearn.tasks.predicates import Box, holds
from robolearn.tasks.spec import Atom, RegionSpec, TaskSpec
from robolearn.tasks.world import TABLE_Z, world_state

TABLE_HALF = 0.4
CLEARANCE = 0.01  # between footprints
DROP = 0.002  # objects start this far above their support
ARTICULATION_PREDS = {"Open", "Closed", "TurnedOn", "TurnedOff"}
PLACEMENT_PREDS = ARTICULATION_PREDS | {"On", "In"}
ROBOT_NOISE = 0.02  # std of the robot's initial joint noise (rad)


@dataclass(frozen=True)
class InitState:
    """One initial state: object poses (x, y, z, qw, qx, qy, qz), joint fractions, robot noise."""

    objects: dict[str, tuple[float, ...]]
    joints: dict[str, float] = field(default_factory=dict)
    robot_noise: tuple[float, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "objects": {k: list(v) for k, v in sorted(self.objects.items())},
            "joints": dict(sorted(self.joints.items())),
            "robot_noise": list(self.robot_noise),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InitState:
        return cls(
            objects={k: tuple(float(x) for x in v) for k, v in data["objects"].items()},
            joints={k: float(v) for k, v in data.get("joints", {}).items()},
            robot_noise=tuple(float(x) for x in data.get("robot_noise", ())),
        )


def yaw_quat(yaw: float) -> tuple[float, float, float, float]:
    return (math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2))


def footprint_radius(otype: ObjectType, scale: float = 1.0) -> float:
    """Radius of a disc around the root that covers the object's footprint at any yaw.

    Square footprints are taken as round (bowls, plates, cans): a cube's corners may then
    reach 4 mm past the disc, which the clearance between discs absorbs.
    """
    hx, hy, _ = otype.half_size
    cx, cy, _ = otype.center
    reach = max(hx, hy) if math.isclose(hx, hy) else math.hypot(hx, hy)
    return (reach + math.hypot(cx, cy)) * scale


def _sample_joints(spec: TaskSpec, rng: np.random.Generator) -> dict[str, float]:
    joints: dict[str, float] = {}
    for fix in spec.fixtures:
        for art in FIXTURES.get(fix.type).articulations:
            joints[f"{fix.name}.{art.name}"] = 0.0
    for atom in spec.init:
        if atom.pred not in ARTICULATION_PREDS:
            continue
        (part,) = atom.args
        if part not in joints:
            raise PlacementError(f"task {spec.task_id}: init atom {atom} names no articulation")
        fname, aname = part.split(".", 1)
        art = FIXTURES.get(spec.fixture(fname).type).articulation(aname)
        if atom.pred == art.predicates[0]:
            joints[part] = float(rng.uniform(min(1.0, art.on_threshold + 0.1), 1.0))
        else:
            joints[part] = float(rng.uniform(0.0, art.off_threshold * 0.5))
    return joints


def _placement_order(spec: TaskSpec) -> list[Atom]:
    """On/In atoms for objects, supports before the things they support."""
    atoms = [a for a in spec.init if a.pred in ("On", "In")]
    placed: set[str] = {f.name for f in spec.fixtures}
    order: list[Atom] = []
    while atoms:
        ready = [
            a
            for a in atoms
            if a.args[1].split(".")[0] in placed or a.args[1] in {r.name for r in spec.regions}
        ]
        if not ready:
            raise PlacementError(f"task {spec.task_id}: init atoms {atoms} have a support cycle")
        for a in ready:
            order.append(a)
            placed.add(a.args[0])
            atoms.remove(a)
    missing = {o.name for o in spec.objects} - {a.args[0] for a in order}
    if missing:
        raise PlacementError(
            f"task {spec.task_id}: objects {sorted(missing)} have no init placement"
        )
    return order


def sample_init(
    spec: TaskSpec, rng: np.random.Generator, max_tries: int = 200, max_layouts: int = 20
) -> InitState:
    """Sample one collision-free initial state for ``spec``."""
    order = _placement_order(spec)
    last_error = ""
    for _ in range(max_layouts):
        joints = _sample_joints(spec, rng)
        try:
            objects = _place_objects(spec, order, joints, rng, max_tries)
        except _LayoutError as retry:
            last_error = str(retry)  # the last failure is the one reported
            continue
        noise = tuple(float(x) for x in rng.normal(0.0, ROBOT_NOISE, size=7))
        state = InitState(objects, joints, noise)
        if constraints_hold(spec, state):
            return state
        last_error = "init constraints (relations) did not hold"
    raise PlacementError(
        f"task {spec.task_id}: no collision-free layout after {max_layouts} layouts x "
        f"{max_tries} tries ({last_error}); enlarge the regions or remove objects"
    )


class _LayoutError(Exception):
    pass


def _place_objects(
    spec: TaskSpec,
    order: list[Atom],
    joints: dict[str, float],
    rng: np.random.Generator,
    max_tries: int,
) -> dict[str, tuple[float, ...]]:
    discs: list[tuple[float, float, float]] = []  # (x, y, r) of things on the table
    for fix in spec.fixtures:
        ft = FIXTURES.get(fix.type)
        discs.append((fix.pos[0], fix.pos[1], math.hypot(ft.half_size[0], ft.half_size[1])))
    regions = {r.name: r for r in spec.regions}
    poses: dict[str, tuple[float, ...]] = {}
    for atom in order:
        name, support = atom.args
        obj = spec.object(name)
        otype = OBJECTS.get(obj.type)
        if support in regions:
            poses[name] = _place_in_region(
                name, otype, obj.scale, regions[support], discs, rng, max_tries
            )
        else:
            poses[name] = _place_on_support(
                spec, name, otype, obj.scale, support, atom.pred, poses, joints, rng
            )
    return poses


def _place_in_region(
    name: str,
    otype: ObjectType,
    scale: float,
    region: RegionSpec,
    discs: list[tuple[float, float, float]],
    rng: np.random.Generator,
    max_tries: int,
) -> tuple[float, ...]:
    r = footprint_radius(otype, scale)
    for _ in range(max_tries):
        x = float(
            rng.uniform(
                region.center[0] - region.half_size[0], region.center[0] + region.half_size[0]
            )
        )
        y = float(
            rng.uniform(
                region.center[1] - region.half_size[1], region.center[1] + region.half_size[1]
            )
        )
        yaw = float(rng.uniform(*region.yaw_range))
        if max(abs(x), abs(y)) + r > TABLE_HALF - CLEARANCE:
            continue
        if all(math.hypot(x - dx, y - dy) >= r + dr + CLEARANCE for dx, dy, dr in discs):
            discs.append((x, y, r))
            z = TABLE_Z - otype.bottom_z * scale + DROP
            return (x, y, z, *yaw_quat(yaw))
    raise _LayoutError(f"{name} did not fit in region {region.name!r}")


def _place_on_support(
    spec: TaskSpec,
    name: str,
    otype: ObjectType,
    scale: float,
    support: str,
    pred: str,
    poses: dict[str, tuple[float, ...]],
    joints: dict[str, float],
    rng: np.random.Generator,
) -> tuple[float, ...]:
    kind = "in" if pred == "In" else "on"
    state = world_state(spec, poses, joints)
    if support.split(".")[0] not in state.boxes:
        raise PlacementError(
            f"task {spec.task_id}: {name} goes on {support!r}, which is not placed"
        )
    box = state.receptacle(support, kind)
    if box is None:  # no receptacle: the top face of the support's bounding box
        target = state.box(support)
        lo, hi = target.aabb()
        box = Box(
            np.array([target.center[0], target.center[1], hi[2]]),
            np.array([*(hi - lo)[:2] / 2, 0.0]),
        )
    lo, _ = box.aabb()
    jitter = rng.uniform(-1, 1, size=2) * np.asarray(box.half[:2]) * 0.3
    yaw = float(rng.uniform(-math.pi, math.pi))
    z = lo[2] - otype.bottom_z * scale + DROP
    return (
        float(box.center[0] + jitter[0]),
        float(box.center[1] + jitter[1]),
        float(z),
        *yaw_quat(yaw),
    )


def constraints_hold(spec: TaskSpec, init: InitState) -> bool:
    """Whether the init atoms that are not placements (relations...) hold in ``init``."""
    atoms = [a for a in spec.init if a.pred not in PLACEMENT_PREDS]
    if not atoms:
        return True
    state = world_state(spec, init.objects, init.joints)
    return all(holds(a, state) for a in atoms)

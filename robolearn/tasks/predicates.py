"""Predicates over a simulator-independent :class:`WorldState`.

The env builds a WorldState from MuJoCo data each step; tests build one by hand. A goal is
a conjunction of atoms. Spatial words follow the ``agentview`` camera, which looks from
+x towards the robot: *left* is -y, *right* is +y, *in front of* is +x (nearer the camera),
*behind* is -x (nearer the robot).

Receptacle boxes: for kind ``"on"`` the box holds the supported object's *bottom point*
(its xy centre and lowest z); for kind ``"in"`` the box holds the object's *centre*.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from robolearn.errors import ConfigError
from robolearn.registry import Registry
from robolearn.tasks.spec import Atom, RegionSpec

ON_TOL_BELOW = 0.02  # the bottom may sink this far into the support (soft contacts)
ON_TOL_ABOVE = 0.03  # ... and hover this far above it
XY_MARGIN = 0.01
LIFT_HEIGHT = 0.05
REL_MARGIN = 0.03
NEAR_DIST = 0.2


def quat_to_mat(quat: Sequence[float] | np.ndarray) -> np.ndarray:
    """Rotation matrix of a unit quaternion in MuJoCo's (w, x, y, z) order."""
    w, x, y, z = (float(v) for v in quat)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


@dataclass(frozen=True)
class Box:
    """An oriented box in the world frame."""

    center: np.ndarray
    half: np.ndarray
    rot: np.ndarray = field(default_factory=lambda: np.eye(3))

    @classmethod
    def from_pose(
        cls,
        pos: Sequence[float] | np.ndarray,
        quat: Sequence[float] | np.ndarray,
        local_center: Sequence[float] | np.ndarray,
        half: Sequence[float] | np.ndarray,
        scale: float = 1.0,
    ) -> Box:
        rot = quat_to_mat(quat)
        center = np.asarray(pos, float) + rot @ (np.asarray(local_center, float) * scale)
        return cls(center, np.asarray(half, float) * scale, rot)

    def aabb(self) -> tuple[np.ndarray, np.ndarray]:
        extent = np.abs(self.rot) @ self.half
        return self.center - extent, self.center + extent

    def contains(self, point: np.ndarray, margin: Sequence[float] = (0.0, 0.0, 0.0)) -> bool:
        local = self.rot.T @ (np.asarray(point, float) - self.center)
        return bool(np.all(np.abs(local) <= self.half + np.asarray(margin, float)))

    @property
    def bottom(self) -> np.ndarray:
        """Centre xy with the lowest z of the box."""
        lo, _ = self.aabb()
        return np.array([self.center[0], self.center[1], lo[2]])

    @property
    def top_z(self) -> float:
        return float(self.aabb()[1][2])


@dataclass(frozen=True)
class Joint:
    """An articulation's state: fraction of its range and its predicate thresholds."""

    fraction: float
    predicates: tuple[str, str]  # e.g. ("Open", "Closed")
    on_threshold: float
    off_threshold: float


@dataclass
class WorldState:
    boxes: dict[str, Box]  # objects and fixtures by instance name
    receptacles: dict[str, tuple[Box, str]] = field(default_factory=dict)  # name -> (box, kind)
    joints: dict[str, Joint] = field(default_factory=dict)  # "cabinet_1.drawer" -> Joint
    regions: dict[str, RegionSpec] = field(default_factory=dict)
    table_z: float = 0.8

    def box(self, name: str) -> Box:
        try:
            return self.boxes[name]
        except KeyError:
            raise ConfigError(f"no object or fixture named {name!r} in the scene") from None

    def receptacle(self, name: str, kind: str) -> Box | None:
        """``name`` itself if it is a receptacle of ``kind``, else ``name``'s first such one."""
        if name in self.receptacles:
            box, rkind = self.receptacles[name]
            return box if rkind == kind else None
        if "." in name:  # an articulation or unknown part is not a receptacle
            return None
        for key, (box, rkind) in self.receptacles.items():
            if key.split(".", 1)[0] == name and rkind == kind:
                return box
        return None


Predicate = Callable[..., bool]


@dataclass(frozen=True)
class PredicateDef:
    fn: Predicate
    arity: int
    doc: str


PREDICATES: Registry[PredicateDef] = Registry("predicate")


def predicate(name: str, arity: int) -> Callable[[Predicate], Predicate]:
    def deco(fn: Predicate) -> Predicate:
        PREDICATES.add(name, PredicateDef(fn, arity, (fn.__doc__ or "").strip()))
        return fn

    return deco


def _rests_on(bottom: np.ndarray, support: Box) -> bool:
    lo, hi = support.aabb()
    return bool(
        lo[0] - XY_MARGIN <= bottom[0] <= hi[0] + XY_MARGIN
        and lo[1] - XY_MARGIN <= bottom[1] <= hi[1] + XY_MARGIN
        and lo[2] - ON_TOL_BELOW <= bottom[2] <= hi[2] + ON_TOL_ABOVE
    )


@predicate("On", 2)
def on(state: WorldState, a: str, b: str) -> bool:
    """a rests on b: a region of the table, a receptacle of kind "on", or b's top face."""
    bottom = state.box(a).bottom
    if b in state.regions:
        region = state.regions[b]
        return region.contains(bottom[0], bottom[1], XY_MARGIN) and bool(
            abs(bottom[2] - state.table_z) <= ON_TOL_ABOVE
        )
    support = state.receptacle(b, "on")
    if support is not None:
        return _rests_on(bottom, support)
    target = state.box(b)
    top = target.top_z
    lo, hi = target.aabb()
    face = Box(
        np.array([target.center[0], target.center[1], top]), np.array([*(hi - lo)[:2] / 2, 0.0])
    )
    return _rests_on(bottom, face)


@predicate("In", 2)
def inside(state: WorldState, a: str, b: str) -> bool:
    """a's centre is inside b's receptacle of kind "in" (a drawer, a bowl, a basket)."""
    box = state.receptacle(b, "in")
    if box is None:
        raise ConfigError(f"{b!r} has no receptacle of kind 'in' for the predicate In")
    return box.contains(state.box(a).center, (XY_MARGIN, XY_MARGIN, XY_MARGIN))


@predicate("Stacked", 2)
def stacked(state: WorldState, a: str, b: str) -> bool:
    """a sits on b's top face with its centre over b's footprint (block stacking)."""
    top, under = state.box(a), state.box(b)
    lo, hi = under.aabb()
    bottom = top.bottom
    return bool(
        lo[0] <= bottom[0] <= hi[0]
        and lo[1] <= bottom[1] <= hi[1]
        and abs(bottom[2] - hi[2]) <= ON_TOL_ABOVE
    )


@predicate("Lifted", 1)
def lifted(state: WorldState, a: str) -> bool:
    """a's lowest point is at least 5 cm above the table."""
    return bool(state.box(a).bottom[2] >= state.table_z + LIFT_HEIGHT)


def _joint(state: WorldState, name: str, pred: str) -> Joint:
    if name not in state.joints:
        raise ConfigError(f"no articulation named {name!r} (use '<fixture>.<part>')")
    joint = state.joints[name]
    if pred not in joint.predicates:
        raise ConfigError(f"{pred} does not apply to {name!r}; it takes {joint.predicates}")
    return joint


def _articulation_predicate(pred: str, high: bool) -> None:
    def fn(state: WorldState, part: str) -> bool:
        joint = _joint(state, part, pred)
        if high:
            return joint.fraction >= joint.on_threshold
        return joint.fraction <= joint.off_threshold

    fn.__doc__ = f"the articulation's joint is {'beyond' if high else 'below'} its {pred} threshold"
    predicate(pred, 1)(fn)


for _pred, _high in [("Open", True), ("Closed", False), ("TurnedOn", True), ("TurnedOff", False)]:
    _articulation_predicate(_pred, _high)


def _relation(pred: str, axis: int, sign: float, doc: str) -> None:
    def fn(state: WorldState, a: str, b: str) -> bool:
        delta = state.box(a).center[axis] - state.box(b).center[axis]
        return bool(sign * delta > REL_MARGIN)

    fn.__doc__ = doc
    predicate(pred, 2)(fn)


_relation("LeftOf", 1, -1.0, "a is left of b as seen from agentview (smaller y)")
_relation("RightOf", 1, 1.0, "a is right of b as seen from agentview (larger y)")
_relation("InFrontOf", 0, 1.0, "a is in front of b, nearer the agentview camera (larger x)")
_relation("Behind", 0, -1.0, "a is behind b, nearer the robot (smaller x)")


@predicate("Near", 2)
def near(state: WorldState, a: str, b: str) -> bool:
    """a's and b's centres are within 20 cm in the table plane."""
    d = state.box(a).center[:2] - state.box(b).center[:2]
    return bool(np.hypot(*d) <= NEAR_DIST)


def check_atom(atom: Atom) -> PredicateDef:
    """The predicate of ``atom``, checking its arity."""
    pdef = PREDICATES.get(atom.pred)
    if len(atom.args) != pdef.arity:
        raise ConfigError(f"{atom}: {atom.pred} takes {pdef.arity} argument(s)")
    return pdef


def holds(atom: Atom, state: WorldState) -> bool:
    return check_atom(atom).fn(state, *atom.args)


def evaluate(atoms: Sequence[Atom], state: WorldState) -> list[bool]:
    return [holds(a, state) for a in atoms]


def satisfied(goal: Sequence[Atom], state: WorldState) -> bool:
    """True when every atom of the conjunction holds."""
    return all(holds(a, state) for a in goal)

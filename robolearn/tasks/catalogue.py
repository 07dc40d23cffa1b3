"""The catalogue of movable objects, articulated fixtures and colours (pure data, no robosuite).

Geometry is in metres in the object's own frame, whose origin is the object's root body. The
simulator side (``robolearn.sim.objects``) builds robosuite/MJCF objects from these entries;
tests check that the declared sizes match the simulated geometry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from robolearn.registry import Registry

Vec3 = tuple[float, float, float]


@dataclass(frozen=True)
class Color:
    name: str
    rgba: tuple[float, float, float, float]
    heldout: bool = False  # True: only used by the `@color` perturbation (unseen colours)


@dataclass(frozen=True)
class Grasp:
    """Where and how a scripted expert grasps an object (object frame)."""

    offset: Vec3  # grasp point relative to the root body origin
    width: float  # finger opening needed (m), <= 0.08 for the Panda gripper
    approach: Literal["top", "side"] = "top"
    yaw_symmetric: bool = False  # True if any yaw about z grasps equally well (round things)
    yaw: float = 0.0  # direction the fingers close along: object x axis turned by yaw about z (rad)


@dataclass(frozen=True)
class Receptacle:
    """A place on or in an object/fixture where other objects go (object frame box).

    kind "in": the box is the interior volume; its bottom face is the floor objects rest on.
    kind "on": the box's bottom face is the support surface; its height is a band above it.
    The box is given in the object/fixture frame with every joint at 0. If ``body`` is set the
    box moves rigidly with that body (for our fixtures the moving bodies have their origin at
    the fixture origin, so the box is also in that body's own frame).
    """

    name: str  # e.g. "top", "inside"
    center: Vec3
    half_size: Vec3
    kind: Literal["on", "in"]
    body: str | None = None  # MJCF body (before the name prefix) the box moves with; None: root


@dataclass(frozen=True)
class ObjectType:
    name: str  # catalogue key, e.g. "bowl"
    source: Literal["primitive", "robosuite", "mjcf"]
    category: str  # "block", "container", "food", "kitchenware", ...
    half_size: Vec3  # axis-aligned bounding-box half extents around `center`
    center: Vec3 = (0.0, 0.0, 0.0)  # bbox centre relative to the root body origin
    colors: tuple[str, ...] = ()  # allowed colour names; () = fixed texture
    grasp: Grasp | None = None  # None: not graspable (too big/flat)
    receptacles: tuple[Receptacle, ...] = ()
    asset: str | None = None  # mjcf: path under envs/; robosuite: class name
    nouns: tuple[str, ...] = ()  # words used in instructions ("bowl"); first is canonical

    @property
    def bottom_z(self) -> float:
        """z of the object's lowest point relative to the root body origin."""
        return self.center[2] - self.half_size[2]

    @property
    def top_z(self) -> float:
        return self.center[2] + self.half_size[2]

    @property
    def noun(self) -> str:
        return self.nouns[0] if self.nouns else self.name.replace("_", " ")

    @property
    def grasp_yaw_order(self) -> int:
        """How many turns about z map the object's top grasp onto itself in a full turn.

        0: any turn does (round things, round rims, no grasp); 4: a square footprint gripped
        at its centre; 1: a rim pinch off a shape that is not round (a mug's, opposite its
        handle); 2: everything else (oblong things: a parallel gripper is symmetric under a
        half turn). The expert folds its grasp yaw by the same rule.
        """
        grasp = self.grasp
        if grasp is None or grasp.yaw_symmetric or grasp.approach != "top":
            return 0
        square = math.isclose(self.half_size[0], self.half_size[1])
        if any(grasp.offset[:2]):
            return 0 if square else 1
        return 4 if square else 2


@dataclass(frozen=True)
class Articulation:
    """One moving part of a fixture (a drawer, a door, a knob)."""

    name: str  # e.g. "drawer", "door", "knob"
    joint: str  # joint name inside the fixture's MJCF (before robosuite's name prefix)
    kind: Literal["slide", "hinge"]
    range: tuple[float, float]  # joint limits (m or rad)
    predicates: tuple[str, str]  # ("Open", "Closed") or ("TurnedOn", "TurnedOff")
    on_threshold: float  # fraction of range at/above which the first predicate holds
    off_threshold: float  # fraction of range at/below which the second predicate holds
    handle_site: str  # site name inside the MJCF where the gripper acts
    push_axis: Vec3  # fixture-frame unit vector in which moving the handle increases the joint
    grasp: Grasp | None = None  # how to grasp the handle (offset from the handle site); None: push


@dataclass(frozen=True)
class FixtureType:
    name: str
    half_size: Vec3
    center: Vec3 = (0.0, 0.0, 0.0)
    asset: str = ""  # path under envs/
    articulations: tuple[Articulation, ...] = ()
    receptacles: tuple[Receptacle, ...] = ()
    nouns: tuple[str, ...] = ()

    @property
    def noun(self) -> str:
        return self.nouns[0] if self.nouns else self.name.replace("_", " ")

    def articulation(self, name: str) -> Articulation:
        for art in self.articulations:
            if art.name == name:
                return art
        raise KeyError(f"fixture {self.name!r} has no articulation {name!r}")


COLORS: Registry[Color] = Registry("colour")
OBJECTS: Registry[ObjectType] = Registry("object type")
FIXTURES: Registry[FixtureType] = Registry("fixture type")

# The entries live in a sibling module that fills the registries above when it is imported.
from robolearn.tasks import catalogue_data  # noqa: E402, F401

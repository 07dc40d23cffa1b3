"""The entries of the catalogue: colours, movable object types and articulated fixtures.

Imported by :mod:`robolearn.tasks.catalogue`, which owns the dataclasses and registries; import
those from there. Sizes are measured from the compiled MuJoCo models (``tests/sim`` checks them
within 1 cm); robosuite's own ``bottom_site``/``top_site`` offsets are not used because several
of them are off by centimetres.

Frames. A movable object's origin is its root body origin: the bounding-box centre for our
MJCF objects and the primitives, the mesh origin for robosuite's objects (see ``center``); the
mug's origin is on its axis. A fixture's origin is the centre of its bottom face; it stands on
the table top with its front (handles) facing +x.
"""

from __future__ import annotations

import math

from robolearn.tasks.catalogue import (
    COLORS,
    FIXTURES,
    OBJECTS,
    Articulation,
    Color,
    FixtureType,
    Grasp,
    ObjectType,
    Receptacle,
)

_QUARTER = math.pi / 2

# ---------------------------------------------------------------------------------- colours
for _color in (
    Color("red", (0.85, 0.12, 0.1, 1.0)),
    Color("green", (0.12, 0.62, 0.22, 1.0)),
    Color("blue", (0.12, 0.3, 0.85, 1.0)),
    Color("yellow", (0.95, 0.85, 0.1, 1.0)),
    Color("orange", (0.95, 0.5, 0.05, 1.0)),
    Color("purple", (0.52, 0.22, 0.7, 1.0)),
    Color("white", (0.93, 0.93, 0.92, 1.0)),
    Color("black", (0.08, 0.08, 0.08, 1.0)),
    Color("pink", (1.0, 0.5, 0.72, 1.0), heldout=True),
    Color("cyan", (0.1, 0.82, 0.88, 1.0), heldout=True),
    Color("brown", (0.5, 0.3, 0.12, 1.0), heldout=True),
    Color("gray", (0.5, 0.5, 0.52, 1.0), heldout=True),
):
    COLORS.add(_color.name, _color)

# Colours generators may sample for colourable objects (the first is the default look).
_BLOCK_COLORS = ("red", "green", "blue", "yellow", "orange", "purple", "white", "black")
_DISH_COLORS = ("white", "red", "green", "blue", "yellow", "orange", "purple", "black")

# ---------------------------------------------------------------------------------- objects
_OBJECTS = (
    # Primitives (robosuite BoxObject/CylinderObject/BallObject sized from half_size).
    ObjectType(
        name="cube",
        source="primitive",
        category="block",
        half_size=(0.02, 0.02, 0.02),
        colors=_BLOCK_COLORS,
        grasp=Grasp(offset=(0.0, 0.0, 0.0), width=0.04),
        asset="box",
        nouns=("cube",),
    ),
    ObjectType(
        name="block",
        source="primitive",
        category="block",
        half_size=(0.05, 0.02, 0.02),
        colors=_BLOCK_COLORS,
        grasp=Grasp(offset=(0.0, 0.0, 0.0), width=0.04, yaw=_QUARTER),
        asset="box",
        nouns=("block", "long block"),
    ),
    ObjectType(
        name="cylinder",
        source="primitive",
        category="block",
        half_size=(0.025, 0.025, 0.04),
        colors=_BLOCK_COLORS,
        grasp=Grasp(offset=(0.0, 0.0, 0.015), width=0.05, yaw_symmetric=True),
        asset="cylinder",
        nouns=("cylinder",),
    ),
    ObjectType(
        name="ball",
        source="primitive",
        category="toy",
        half_size=(0.025, 0.025, 0.025),
        colors=_BLOCK_COLORS,
        grasp=Grasp(offset=(0.0, 0.0, 0.0), width=0.05, yaw_symmetric=True),
        asset="ball",
        nouns=("ball",),
    ),
    # robosuite's built-in objects (fixed textures; sizes measured from their meshes).
    ObjectType(
        name="milk",
        source="robosuite",
        category="drink",
        center=(0.0, 0.0, 0.011),
        half_size=(0.02, 0.02, 0.072),
        grasp=Grasp(offset=(0.0, 0.0, 0.03), width=0.04),
        asset="MilkObject",
        nouns=("milk carton", "milk"),
    ),
    ObjectType(
        name="bread",
        source="robosuite",
        category="food",
        center=(0.0, 0.0, 0.0007),
        half_size=(0.024, 0.02, 0.024),
        grasp=Grasp(offset=(0.0, 0.0, 0.005), width=0.04, yaw=_QUARTER),
        asset="BreadObject",
        nouns=("bread", "loaf of bread"),
    ),
    ObjectType(
        name="cereal",
        source="robosuite",
        category="food",
        half_size=(0.05, 0.015, 0.075),
        grasp=Grasp(offset=(0.0, 0.0, 0.045), width=0.03, yaw=_QUARTER),
        asset="CerealObject",
        nouns=("cereal box", "cereal"),
    ),
    ObjectType(
        name="can",
        source="robosuite",
        category="drink",
        half_size=(0.025, 0.025, 0.04),
        grasp=Grasp(offset=(0.0, 0.0, 0.01), width=0.05, yaw_symmetric=True),
        asset="CanObject",
        nouns=("can", "soda can"),
    ),
    ObjectType(
        name="lemon",
        source="robosuite",
        category="fruit",
        half_size=(0.034, 0.02, 0.02),
        grasp=Grasp(offset=(0.0, 0.0, 0.0), width=0.04, yaw=_QUARTER),
        asset="LemonObject",
        nouns=("lemon",),
    ),
    ObjectType(
        name="bottle",
        source="robosuite",
        category="drink",
        center=(0.0, 0.0, 0.015),
        half_size=(0.028, 0.029, 0.08),
        grasp=Grasp(offset=(0.0, 0.0, 0.0), width=0.058, yaw_symmetric=True),
        asset="BottleObject",
        nouns=("bottle",),
    ),
    # Our own MJCF objects (envs/objects/*.xml), built from boxes and cylinders.
    ObjectType(
        name="bowl",
        source="mjcf",
        category="container",
        half_size=(0.0705, 0.0705, 0.025),
        colors=_DISH_COLORS,
        grasp=Grasp(offset=(0.06, 0.0, 0.01), width=0.006),  # pinch the +x rim
        receptacles=(Receptacle("inside", (0.0, 0.0, 0.0), (0.04, 0.04, 0.018), "in"),),
        asset="objects/bowl.xml",
        nouns=("bowl",),
    ),
    ObjectType(
        name="plate",
        source="mjcf",
        category="container",
        half_size=(0.075, 0.075, 0.008),
        colors=_DISH_COLORS,
        grasp=None,  # too flat for a top grasp
        receptacles=(Receptacle("top", (0.0, 0.0, 0.01), (0.05, 0.05, 0.01), "on"),),
        asset="objects/plate.xml",
        nouns=("plate",),
    ),
    ObjectType(
        name="basket",
        source="mjcf",
        category="container",
        half_size=(0.09, 0.07, 0.035),
        colors=("yellow", "orange", "red", "green", "blue", "purple", "white", "black"),
        grasp=Grasp(offset=(0.087, 0.0, 0.02), width=0.006),  # pinch the +x wall
        receptacles=(Receptacle("inside", (0.0, 0.0, 0.003), (0.08, 0.06, 0.032), "in"),),
        asset="objects/basket.xml",
        nouns=("basket", "bin"),
    ),
    ObjectType(
        name="mug",
        source="mjcf",
        category="kitchenware",
        center=(0.012, 0.0, 0.0),
        half_size=(0.048, 0.036, 0.0425),
        colors=("blue", "red", "green", "yellow", "orange", "purple", "white", "black"),
        grasp=Grasp(
            offset=(-0.0335, 0.0, 0.0275), width=0.005
        ),  # pinch the rim opposite the handle
        receptacles=(Receptacle("inside", (0.0, 0.0, 0.0005), (0.022, 0.022, 0.035), "in"),),
        asset="objects/mug.xml",
        nouns=("mug", "cup"),
    ),
)
for _obj in _OBJECTS:
    OBJECTS.add(_obj.name, _obj)

# --------------------------------------------------------------------------------- fixtures
_HANDLE_PINCH = Grasp(offset=(0.0, 0.0, 0.0), width=0.012, yaw=_QUARTER)  # grip bar, close along y

_FIXTURES = (
    FixtureType(
        name="cabinet",
        center=(0.017, 0.0, 0.07),
        half_size=(0.117, 0.12, 0.07),
        asset="fixtures/cabinet.xml",
        articulations=(
            Articulation(
                name="drawer",
                joint="drawer_slide",
                kind="slide",
                range=(0.0, 0.15),
                predicates=("Open", "Closed"),
                on_threshold=0.5,
                off_threshold=0.1,
                handle_site="drawer_handle",
                push_axis=(1.0, 0.0, 0.0),
                grasp=_HANDLE_PINCH,
            ),
        ),
        receptacles=(
            Receptacle("top", (0.0, 0.0, 0.15), (0.09, 0.11, 0.01), "on"),
            Receptacle("inside", (0.0065, 0.0, 0.05), (0.08, 0.09, 0.03), "in", body="drawer"),
        ),
        nouns=("cabinet", "drawer cabinet"),
    ),
    FixtureType(
        name="microwave",
        center=(0.021, 0.0, 0.075),
        half_size=(0.111, 0.12, 0.075),
        asset="fixtures/microwave.xml",
        articulations=(
            Articulation(
                name="door",
                joint="door_hinge",
                kind="hinge",
                range=(0.0, 1.75),
                predicates=("Open", "Closed"),
                on_threshold=0.45,
                off_threshold=0.06,
                handle_site="door_handle",
                push_axis=(1.0, 0.0, 0.0),
                grasp=_HANDLE_PINCH,
            ),
        ),
        receptacles=(
            Receptacle("top", (0.0, 0.0, 0.16), (0.08, 0.11, 0.01), "on"),
            Receptacle("inside", (0.0, -0.0275, 0.07), (0.07, 0.075, 0.06), "in"),
        ),
        nouns=("microwave", "microwave oven"),
    ),
    FixtureType(
        name="stove",
        center=(0.001, 0.0, 0.029),
        half_size=(0.101, 0.12, 0.029),
        asset="fixtures/stove.xml",
        articulations=(
            Articulation(
                name="knob",
                joint="knob_hinge",
                kind="hinge",
                range=(0.0, _QUARTER),
                predicates=("TurnedOn", "TurnedOff"),
                on_threshold=0.5,
                off_threshold=0.1,
                handle_site="knob_handle",
                push_axis=(0.0, 1.0, 0.0),  # push the lever tip sideways
                grasp=None,
            ),
        ),
        receptacles=(Receptacle("top", (-0.01, -0.045, 0.04), (0.055, 0.055, 0.01), "on"),),
        nouns=("stove", "cooktop"),
    ),
)
for _fixture in _FIXTURES:
    FIXTURES.add(_fixture.name, _fixture)

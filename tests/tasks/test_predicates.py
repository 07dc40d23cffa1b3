"""Each predicate on hand-built world states: one case where it holds, one where it doesn't."""

import math

import numpy as np
import pytest

from robolearn.errors import ConfigError
from robolearn.tasks.predicates import (
    PREDICATES,
    Box,
    Joint,
    WorldState,
    holds,
    quat_to_mat,
    satisfied,
)
from robolearn.tasks.spec import Atom, RegionSpec

TABLE = 0.8


def box(x, y, z_bottom, half=(0.02, 0.02, 0.02)):
    return Box(np.array([x, y, z_bottom + half[2]]), np.array(half))


def state(**boxes):
    return WorldState(
        boxes=dict(boxes),
        receptacles={
            "bowl.inside": (
                Box(np.array([0.3, 0.0, TABLE + 0.03]), np.array([0.05, 0.05, 0.03])),
                "in",
            ),
            "plate.top": (
                Box(np.array([-0.3, 0.0, TABLE + 0.02]), np.array([0.07, 0.07, 0.01])),
                "on",
            ),
        },
        joints={
            "cab.drawer": Joint(0.9, ("Open", "Closed"), 0.6, 0.1),
            "stove.knob": Joint(0.05, ("TurnedOn", "TurnedOff"), 0.5, 0.1),
        },
        regions={"left": RegionSpec("left", (0.0, -0.3), (0.05, 0.05))},
        table_z=TABLE,
    )


def check(atom, s):
    return holds(Atom(atom[0], tuple(atom[1:])), s)


def test_every_registered_predicate_is_covered_here():
    covered = {
        "On",
        "In",
        "Stacked",
        "Lifted",
        "Open",
        "Closed",
        "TurnedOn",
        "TurnedOff",
        "LeftOf",
        "RightOf",
        "InFrontOf",
        "Behind",
        "Near",
    }
    assert set(PREDICATES.names()) == covered


def test_on_receptacle_region_and_top_face():
    s = state(
        cube=box(-0.3, 0.01, TABLE + 0.012),
        bowl=box(0.3, 0, TABLE),
        plate=box(-0.3, 0, TABLE),
        other=box(0.0, -0.3, TABLE),
        far=box(0.0, 0.3, TABLE),
    )
    assert check(("On", "cube", "plate"), s)  # via the plate's "on" receptacle
    assert check(("On", "other", "left"), s)  # a table region
    assert not check(("On", "far", "left"), s)
    assert not check(("On", "cube", "bowl"), s)  # bowl has no "on" receptacle: top face, far away
    lifted_cube = state(cube=box(-0.3, 0.0, TABLE + 0.2), plate=box(-0.3, 0, TABLE))
    assert not check(("On", "cube", "plate"), lifted_cube)


def test_in_uses_the_container_receptacle():
    s = state(cube=box(0.31, 0.01, TABLE + 0.01), bowl=box(0.3, 0, TABLE), out=box(0.5, 0, TABLE))
    assert check(("In", "cube", "bowl"), s)
    assert not check(("In", "out", "bowl"), s)
    with pytest.raises(ConfigError, match="no receptacle of kind 'in'"):
        check(("In", "cube", "out"), s)


def test_stacked_needs_contact_and_overlap():
    s = state(a=box(0, 0, TABLE + 0.04), b=box(0.005, 0, TABLE), c=box(0.2, 0, TABLE + 0.04))
    assert check(("Stacked", "a", "b"), s)
    assert not check(("Stacked", "c", "b"), s)
    assert not check(("Stacked", "b", "a"), s)


def test_lifted():
    s = state(up=box(0, 0, TABLE + 0.06), down=box(0.1, 0, TABLE))
    assert check(("Lifted", "up"), s) and not check(("Lifted", "down"), s)


def test_articulation_predicates_use_thresholds():
    s = state()
    assert check(("Open", "cab.drawer"), s) and not check(("Closed", "cab.drawer"), s)
    assert check(("TurnedOff", "stove.knob"), s) and not check(("TurnedOn", "stove.knob"), s)
    with pytest.raises(ConfigError, match="does not apply"):
        check(("TurnedOn", "cab.drawer"), s)
    with pytest.raises(ConfigError, match="no articulation"):
        check(("Open", "cab.door"), s)


def test_spatial_relations_follow_the_agentview_camera():
    s = state(a=box(0.0, -0.1, TABLE), b=box(0.0, 0.1, TABLE), front=box(0.2, 0.1, TABLE))
    assert check(("LeftOf", "a", "b"), s) and not check(("LeftOf", "b", "a"), s)
    assert check(("RightOf", "b", "a"), s) and not check(("RightOf", "a", "b"), s)
    assert check(("InFrontOf", "front", "b"), s) and not check(("InFrontOf", "b", "front"), s)
    assert check(("Behind", "b", "front"), s) and not check(("Behind", "front", "b"), s)
    assert check(("Near", "a", "b"), s) and not check(("Near", "a", "front"), s)


def test_goal_is_a_conjunction_and_arity_is_checked():
    s = state(up=box(0, 0, TABLE + 0.1), down=box(0.1, 0, TABLE))
    assert satisfied([Atom("Lifted", ("up",))], s)
    assert not satisfied([Atom("Lifted", ("up",)), Atom("Lifted", ("down",))], s)
    with pytest.raises(ConfigError, match="takes 1 argument"):
        holds(Atom("Lifted", ("up", "down")), s)
    with pytest.raises(ConfigError, match="no object or fixture named 'ghost'"):
        holds(Atom("Lifted", ("ghost",)), s)


def test_rotated_boxes_use_their_world_extent():
    yaw = math.pi / 2
    rot = quat_to_mat((math.cos(yaw / 2), 0, 0, math.sin(yaw / 2)))
    long_box = Box(np.array([0.0, 0.0, TABLE + 0.02]), np.array([0.1, 0.02, 0.02]), rot)
    lo, hi = long_box.aabb()
    np.testing.assert_allclose(hi - lo, [0.04, 0.2, 0.04], atol=1e-9)

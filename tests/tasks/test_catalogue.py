"""The object/fixture catalogue is complete and self-consistent (pure: no simulator)."""

from __future__ import annotations

import math
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from robolearn.errors import UnknownNameError
from robolearn.paths import envs_dir
from robolearn.tasks.catalogue import (
    COLORS,
    FIXTURES,
    OBJECTS,
    FixtureType,
    ObjectType,
    Receptacle,
)

PANDA_MAX_OPENING = 0.08
ARTICULATION_PREDICATES = {("Open", "Closed"), ("TurnedOn", "TurnedOff")}
REQUIRED_OBJECTS = {
    "cube": "primitive",
    "block": "primitive",
    "cylinder": "primitive",
    "ball": "primitive",
    "milk": "robosuite",
    "bread": "robosuite",
    "cereal": "robosuite",
    "can": "robosuite",
    "lemon": "robosuite",
    "bottle": "robosuite",
    "bowl": "mjcf",
    "plate": "mjcf",
    "basket": "mjcf",
    "mug": "mjcf",
}


def _inside(point: tuple[float, ...], center: tuple[float, ...], half: tuple[float, ...]) -> bool:
    return all(abs(p - c) <= h + 1e-9 for p, c, h in zip(point, center, half, strict=True))


def _receptacle_fits(rec: Receptacle, center: tuple[float, ...], half: tuple[float, ...]) -> bool:
    """An "in" box lies inside the bounding box; an "on" box's floor lies on/in it (xy inside)."""
    for axis in range(2):
        if abs(rec.center[axis] - center[axis]) + rec.half_size[axis] > half[axis] + 1e-9:
            return False
    floor = rec.center[2] - rec.half_size[2]
    lo, hi = center[2] - half[2], center[2] + half[2]
    if rec.kind == "in":
        return lo - 1e-9 <= floor and rec.center[2] + rec.half_size[2] <= hi + 1e-9
    return lo - 1e-9 <= floor <= hi + 1e-9


def _mjcf_names(asset: str) -> dict[str, set[str]]:
    root = ET.parse(envs_dir() / asset).getroot()
    return {tag: {e.get("name", "") for e in root.iter(tag)} for tag in ("body", "joint", "site")}


def test_colours() -> None:
    assert len(COLORS) >= 12
    for name in ("red", "green", "blue", "yellow", "orange", "purple", "black", "white"):
        assert not COLORS.get(name).heldout
    heldout = [c for c in COLORS.names() if COLORS.get(c).heldout]
    assert len(heldout) >= 4
    rgbas = set()
    for name, color in COLORS.items():
        assert color.name == name
        assert len(color.rgba) == 4 and all(0.0 <= v <= 1.0 for v in color.rgba)
        rgbas.add(color.rgba)
    assert len(rgbas) == len(COLORS), "two colours share an rgba"


def test_required_objects_and_counts() -> None:
    assert len(OBJECTS) >= 14
    for name, source in REQUIRED_OBJECTS.items():
        assert OBJECTS.get(name).source == source
    assert sum(OBJECTS.get(n).grasp is not None for n in OBJECTS.names()) >= 10
    assert {"bowl", "basket", "mug"} <= {n for n, o in OBJECTS.items() if o.receptacles}


@pytest.mark.parametrize("name", OBJECTS.names())
def test_object_entry(name: str) -> None:
    obj: ObjectType = OBJECTS.get(name)
    assert obj.name == name and obj.category
    assert obj.nouns and all(isinstance(n, str) and n.strip() for n in obj.nouns)
    assert all(0.005 <= h <= 0.1 for h in obj.half_size), "fits a 0.8 m table and a Panda"
    assert _inside((0.0, 0.0, 0.0), obj.center, obj.half_size), "origin inside the object"
    for color in obj.colors:
        assert not COLORS.get(color).heldout, "held-out colours are for the perturbation only"
    if obj.grasp is not None:
        assert 0.0 < obj.grasp.width <= PANDA_MAX_OPENING
        assert obj.grasp.approach in ("top", "side")
        assert _inside(obj.grasp.offset, obj.center, obj.half_size)
    names = [r.name for r in obj.receptacles]
    assert len(names) == len(set(names))
    for rec in obj.receptacles:
        assert rec.kind in ("in", "on") and rec.body is None
        assert all(h > 0 for h in rec.half_size)
        assert _receptacle_fits(rec, obj.center, obj.half_size), rec
    if obj.source == "primitive":
        assert obj.asset in ("box", "cylinder", "ball") and obj.colors
        if obj.asset != "box":
            assert obj.half_size[0] == obj.half_size[1], "round primitives have equal x/y"
    elif obj.source == "robosuite":
        assert obj.asset and obj.asset.endswith("Object") and not obj.colors
    else:
        assert obj.asset and (envs_dir() / obj.asset).is_file()
        assert "object" in _mjcf_names(obj.asset)["body"]


@pytest.mark.parametrize("name", FIXTURES.names())
def test_fixture_entry(name: str) -> None:
    fixture: FixtureType = FIXTURES.get(name)
    assert fixture.name == name and fixture.nouns
    assert all(0.0 < h <= 0.13 for h in fixture.half_size), "compact enough for a Panda"
    assert fixture.center[2] == pytest.approx(fixture.half_size[2]), "origin at the bottom"
    mjcf = _mjcf_names(fixture.asset)
    assert fixture.articulations
    parts = [a.name for a in fixture.articulations] + [r.name for r in fixture.receptacles]
    assert len(parts) == len(set(parts)), "articulation and receptacle names share a namespace"
    for art in fixture.articulations:
        assert art.predicates in ARTICULATION_PREDICATES
        lo, hi = art.range
        assert lo < hi
        assert hi - lo <= (0.3 if art.kind == "slide" else math.pi)
        assert 0.0 <= art.off_threshold < art.on_threshold <= 1.0
        assert math.isclose(math.hypot(*art.push_axis), 1.0, abs_tol=1e-9)
        assert art.joint in mjcf["joint"] and art.handle_site in mjcf["site"]
        if art.grasp is not None:
            assert 0.0 < art.grasp.width <= PANDA_MAX_OPENING
    for rec in fixture.receptacles:
        assert rec.body is None or rec.body in mjcf["body"]
        assert _receptacle_fits(rec, fixture.center, fixture.half_size), rec


def test_fixture_joint_ranges_match_mjcf() -> None:
    for fixture in (FIXTURES.get(n) for n in FIXTURES.names()):
        root = ET.parse(envs_dir() / fixture.asset).getroot()
        joints = {j.get("name"): j for j in root.iter("joint")}
        for art in fixture.articulations:
            joint = joints[art.joint]
            assert joint.get("type") == art.kind
            lo, hi = (float(v) for v in joint.get("range", "").split())
            assert (lo, hi) == pytest.approx(art.range, abs=1e-4)
            assert float(joint.get("damping", 0)) > 0, "joints stay where they are left"


def test_canonical_nouns_are_unique() -> None:
    nouns = [OBJECTS.get(n).noun for n in OBJECTS.names()]
    nouns += [FIXTURES.get(n).noun for n in FIXTURES.names()]
    assert len(nouns) == len(set(nouns))


def test_unknown_names_raise() -> None:
    with pytest.raises(UnknownNameError, match="bowl"):
        OBJECTS.get("bowll")
    with pytest.raises(UnknownNameError):
        FIXTURES.get("fridge")
    with pytest.raises(UnknownNameError):
        COLORS.get("ultraviolet")


def test_catalogue_import_is_pure() -> None:
    code = (
        "import sys, robolearn.tasks.catalogue as c; "
        "assert len(c.OBJECTS) >= 14; "
        "bad = [m for m in ('robosuite', 'mujoco') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)

"""Built objects/fixtures match the catalogue, rest stably and move as declared (MuJoCo)."""

from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np
import pytest

from robolearn.errors import SimulationError, UnknownNameError
from robolearn.sim import import_robosuite
from robolearn.sim.objects import (
    body_aabb,
    free_joint_name,
    handle_site_names,
    joint_names,
    make_fixture,
    make_object,
    prefixed,
    receptacle_body_name,
    root_body_name,
)
from robolearn.tasks.catalogue import COLORS, FIXTURES, OBJECTS, Receptacle

pytestmark = pytest.mark.sim

TABLE_TOP = 0.8
SIZE_TOL = 0.002  # declared vs compiled bounding box (m)
REST_TOL = 0.005  # bottom height / xy drift after settling (m)
PROBE_HALF = 0.01  # half size of the cubes dropped into receptacles
# extra instances: (instance, type, colour, scale)
EXTRAS = [
    ("bowl_pink", "bowl", "pink", 1.0),
    ("cube_blue", "cube", "blue", 1.0),
    ("bowl_small", "bowl", None, 0.8),
    ("milk_big", "milk", None, 1.2),
    ("block_big", "block", "green", 1.5),
]
INSTANCES = [(n, n, None, 1.0) for n in OBJECTS.names()] + EXTRAS


@dataclass
class Scene:
    model: mujoco.MjModel
    start: dict[str, np.ndarray]  # instance -> root body position before settling
    settled: mujoco.MjData  # after 1 s of simulation
    probes: dict[str, tuple[str, str]]  # probe cube -> (owner instance/type, receptacle name)


def _fixture_pos(i: int) -> tuple[float, float, float]:
    return (-0.5, -0.35 + 0.35 * i, TABLE_TOP)


def _receptacles() -> list[tuple[str, str, tuple[float, float, float]]]:
    """(owner, receptacle, owner origin) for every receptacle of the unscaled instances."""
    out = []
    for i, (instance, type_name, _, _) in enumerate(INSTANCES):
        if instance == type_name:
            row, col = divmod(i, 6)
            origin = (
                0.45 - 0.22 * row,
                -0.55 + 0.22 * col,
                TABLE_TOP - OBJECTS.get(type_name).bottom_z,
            )
            out += [(instance, r.name, origin) for r in OBJECTS.get(type_name).receptacles]
    for i, type_name in enumerate(FIXTURES.names()):
        out += [(type_name, r.name, _fixture_pos(i)) for r in FIXTURES.get(type_name).receptacles]
    return out


def _receptacle(owner: str, name: str) -> Receptacle:
    entry = FIXTURES.get(owner) if owner in FIXTURES else OBJECTS.get(owner)
    return next(r for r in entry.receptacles if r.name == name)


@pytest.fixture(scope="module")
def scene() -> Scene:
    import_robosuite()
    from robosuite.models.arenas import TableArena
    from robosuite.models.tasks import ManipulationTask

    models = []
    for i, (instance, type_name, color, scale) in enumerate(INSTANCES):
        row, col = divmod(i, 6)
        z = TABLE_TOP - scale * OBJECTS.get(type_name).bottom_z
        obj = make_object(instance, type_name, color=color, scale=scale)
        obj.get_obj().set("pos", f"{0.45 - 0.22 * row} {-0.55 + 0.22 * col} {z}")
        models.append(obj)
    for i, type_name in enumerate(FIXTURES.names()):
        fixture = make_fixture(type_name, type_name)
        fixture.get_obj().set("pos", " ".join(map(str, _fixture_pos(i))))
        models.append(fixture)
    probes = {}
    for owner, rec_name, origin in _receptacles():  # a 2 cm cube dropped onto each floor
        rec = _receptacle(owner, rec_name)
        probe = make_object(f"probe_{owner}_{rec_name}", "cube", scale=PROBE_HALF / 0.02)
        floor = origin[2] + rec.center[2] - rec.half_size[2]
        pos = (origin[0] + rec.center[0], origin[1] + rec.center[1], floor + PROBE_HALF + 0.002)
        probe.get_obj().set("pos", " ".join(map(str, pos)))
        models.append(probe)
        probes[probe.name] = (owner, rec_name)
    arena = TableArena(table_full_size=(1.6, 1.6, 0.05), table_offset=(0, 0, TABLE_TOP))
    task = ManipulationTask(mujoco_arena=arena, mujoco_robots=[], mujoco_objects=models)
    model = mujoco.MjModel.from_xml_string(task.get_xml())
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    start = {inst: data.xpos[model.body(root_body_name(inst)).id].copy() for inst, *_ in INSTANCES}
    for _ in range(round(1.0 / model.opt.timestep)):
        mujoco.mj_step(model, data)
    return Scene(model, start, data, probes)


def _fresh(scene: Scene) -> mujoco.MjData:
    data = mujoco.MjData(scene.model)
    mujoco.mj_forward(scene.model, data)
    return data


@pytest.mark.parametrize(
    ("instance", "type_name", "scale"), [(i, t, s) for i, t, _, s in INSTANCES]
)
def test_compiled_size_matches_catalogue(
    scene: Scene, instance: str, type_name: str, scale: float
) -> None:
    obj_type = OBJECTS.get(type_name)
    center, half = body_aabb(scene.model, _fresh(scene), root_body_name(instance))
    np.testing.assert_allclose(center, scale * np.array(obj_type.center), atol=SIZE_TOL)
    np.testing.assert_allclose(half, scale * np.array(obj_type.half_size), atol=SIZE_TOL)


@pytest.mark.parametrize("instance", [i for i, *_ in INSTANCES])
def test_object_rests_upright_on_the_table(scene: Scene, instance: str) -> None:
    model, data = scene.model, scene.settled
    body = model.body(root_body_name(instance)).id
    joint = model.joint(free_joint_name(instance))
    assert joint.type[0] == mujoco.mjtJoint.mjJNT_FREE and joint.bodyid[0] == body
    up = data.xmat[body].reshape(3, 3)[:, 2]
    assert up[2] > np.cos(np.radians(8.0)), f"tilted by {np.degrees(np.arccos(up[2])):.1f} deg"
    center, half = body_aabb(model, data, body, frame=0)
    assert abs(center[2] - half[2] - TABLE_TOP) < REST_TOL
    assert np.linalg.norm(data.xpos[body][:2] - scene.start[instance][:2]) < REST_TOL


def test_colour_override_reaches_the_compiled_model(scene: Scene) -> None:
    model = scene.model

    def visual_rgbas(instance: str, part: str) -> np.ndarray:
        ids = [
            g
            for g in range(model.ngeom)
            if model.geom(g).name.startswith(prefixed(instance, part)) and model.geom_group[g] == 1
        ]
        assert ids
        return model.geom_rgba[ids]

    pink, white = COLORS.get("pink").rgba, COLORS.get(OBJECTS.get("bowl").colors[0]).rgba
    painted_pink, painted_white = visual_rgbas("bowl_pink", "paint"), visual_rgbas("bowl", "paint")
    assert len(painted_pink) == len(painted_white) > 10  # base and every wall segment
    np.testing.assert_allclose(painted_pink, np.broadcast_to(pink, painted_pink.shape), atol=1e-6)
    np.testing.assert_allclose(
        painted_white, np.broadcast_to(white, painted_white.shape), atol=1e-6
    )
    blue, red = COLORS.get("blue").rgba, COLORS.get(OBJECTS.get("cube").colors[0]).rgba
    np.testing.assert_allclose(visual_rgbas("cube_blue", "g0"), [blue], atol=1e-6)
    np.testing.assert_allclose(visual_rgbas("cube", "g0"), [red], atol=1e-6)


def test_colour_errors() -> None:
    with pytest.raises(SimulationError, match="fixed texture"):
        make_object("milk_red", "milk", color="red")
    with pytest.raises(UnknownNameError):
        make_object("cube_x", "cube", color="ultraviolet")
    with pytest.raises(UnknownNameError):
        make_object("thing", "spaceship")
    with pytest.raises(UnknownNameError):
        make_fixture("fridge_1", "fridge")
    with pytest.raises(SimulationError, match="scale"):
        make_object("cube_0", "cube", scale=0.0)


@pytest.mark.parametrize("type_name", FIXTURES.names())
def test_fixture_geometry_and_names(scene: Scene, type_name: str) -> None:
    model, fixture = scene.model, FIXTURES.get(type_name)
    root = model.body(root_body_name(type_name)).id
    assert model.body_jntnum[root] == 0, "fixtures are welded to the world"
    settled = scene.settled  # after 1 s with gravity, the parts have not drifted from closed
    for joint_name in joint_names(type_name, type_name).values():
        assert abs(settled.qpos[model.joint(joint_name).qposadr[0]]) < 1e-3
    fresh = _fresh(scene)
    center, half = body_aabb(model, fresh, root)
    np.testing.assert_allclose(center, fixture.center, atol=SIZE_TOL)
    np.testing.assert_allclose(half, fixture.half_size, atol=SIZE_TOL)
    origin = fresh.xpos[root]
    for art in fixture.articulations:
        site = fresh.site_xpos[model.site(handle_site_names(type_name, type_name)[art.name]).id]
        assert np.all(np.abs(site - origin - center) <= half + 1e-6), "handle inside the bbox"
        joint = model.joint(joint_names(type_name, type_name)[art.name])
        assert joint.range == pytest.approx(art.range, abs=1e-6)
        assert model.jnt_limited[joint.id] and model.dof_damping[joint.dofadr[0]] > 0
    for rec in fixture.receptacles:
        body = model.body(receptacle_body_name(type_name, type_name, rec.name)).id
        if rec.body is not None:  # moving bodies coincide with the fixture frame when closed
            np.testing.assert_allclose(fresh.xpos[body], origin, atol=1e-9)


def _step(
    model: mujoco.MjModel,
    data: mujoco.MjData,
    seconds: float,
    handle: tuple[int, np.ndarray] | None = None,
    joint: tuple[int, float] | None = None,
) -> None:
    """Simulate; each step push site ``handle[0]`` with force ``handle[1]`` or a dof with a force."""
    for _ in range(round(seconds / model.opt.timestep)):
        data.qfrc_applied[:] = 0.0
        if handle is not None:
            site, force = handle
            point, body = data.site_xpos[site], model.site_bodyid[site]
            mujoco.mj_applyFT(model, data, force, np.zeros(3), point, body, data.qfrc_applied)
        if joint is not None:
            data.qfrc_applied[joint[0]] = joint[1]
        mujoco.mj_step(model, data)


@pytest.mark.parametrize("type_name", FIXTURES.names())
def test_fixture_articulations_move_within_limits(scene: Scene, type_name: str) -> None:
    model, fixture = scene.model, FIXTURES.get(type_name)
    for art in fixture.articulations:
        joint = model.joint(joint_names(type_name, type_name)[art.name])
        qadr, dadr = joint.qposadr[0], joint.dofadr[0]
        site = model.site(handle_site_names(type_name, type_name)[art.name]).id
        lo, hi = art.range
        tol = 0.02 * (hi - lo)
        data = _fresh(scene)
        rot = data.xmat[model.body(root_body_name(type_name)).id].reshape(3, 3)
        push = (site, rot @ np.array(art.push_axis) * 5.0)  # 5 N along push_axis at the handle

        _step(model, data, 0.1, handle=push)
        assert data.qpos[qadr] > lo + 0.05 * (hi - lo), "pushing along push_axis opens it"
        _step(model, data, 1.0, handle=push)
        assert data.qpos[qadr] >= lo + art.on_threshold * (hi - lo)
        assert data.qpos[qadr] <= hi + tol

        close = (dadr, -5.0 if art.kind == "slide" else -0.5)  # N on a slide, N m on a hinge
        _step(model, data, 1.0, joint=close)
        assert lo - tol <= data.qpos[qadr] <= lo + art.off_threshold * (hi - lo)

        data.qpos[qadr], data.qvel[dadr] = (lo + hi) / 2, 0.0
        _step(model, data, 0.5)  # left alone it stays where it is
        assert data.qpos[qadr] == pytest.approx((lo + hi) / 2, abs=1e-3)


@pytest.mark.parametrize(("owner", "rec_name"), [(o, r) for o, r, _ in _receptacles()])
def test_receptacle_floor_holds_an_object(scene: Scene, owner: str, rec_name: str) -> None:
    """A small cube dropped onto a receptacle's declared floor rests there, inside the box."""
    model, data, rec = scene.model, scene.settled, _receptacle(owner, rec_name)
    probe = next(p for p, key in scene.probes.items() if key == (owner, rec_name))
    frame = model.body(receptacle_body_name(owner, owner, rec_name)).id
    center, half = body_aabb(model, data, root_body_name(probe), frame=frame)
    assert abs(center[2] - half[2] - (rec.center[2] - rec.half_size[2])) < REST_TOL
    assert np.all(np.abs(center[:2] - rec.center[:2]) <= np.array(rec.half_size[:2]))

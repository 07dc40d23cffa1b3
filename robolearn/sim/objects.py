"""Build robosuite models of catalogue objects and fixtures, and name their parts.

:func:`make_object` turns a catalogue :class:`~robolearn.tasks.catalogue.ObjectType` into a
robosuite ``MujocoObject`` with a free joint; :func:`make_fixture` does the same for a
:class:`~robolearn.tasks.catalogue.FixtureType`, without a free joint (fixtures are welded to the
world wherever they are placed).

Naming. robosuite prefixes every name inside an object with ``f"{instance}_"`` and renames the
object's top body to ``main``. For an object instance ``"bowl_1"``:

- root body ``bowl_1_main`` (:func:`root_body_name`), free joint ``bowl_1_joint0``
  (:func:`free_joint_name`), origin site ``bowl_1_default_site``;
- MJCF sites/bodies/joints keep their local names behind the prefix, e.g. the cabinet's joint
  ``drawer_slide`` becomes ``cabinet_1_drawer_slide`` (:func:`prefixed`, :func:`joint_names`).

Colours. Primitive objects take the colour's rgba directly. In our MJCF files every geom whose
name starts with ``paint`` takes the colour override (its visual copy gets the rgba; the
material keeps the specular look). robosuite's built-in objects have fixed textures.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import mujoco
import numpy as np
import numpy.typing as npt

from robolearn.errors import SimulationError
from robolearn.paths import envs_dir
from robolearn.sim.backend import import_robosuite
from robolearn.tasks.catalogue import COLORS, FIXTURES, OBJECTS, FixtureType, ObjectType

ROOT_BODY = "main"  # robosuite renames an object's top body to this (before the prefix)
FREE_JOINT = "joint0"  # the free joint robosuite adds to a movable object
PAINT_PREFIX = "paint"  # MJCF geoms whose local name starts with this take the colour override

_FRICTION = (1.0, 0.005, 0.0001)
_PRIMITIVE_DENSITY = 500.0
_PRIMITIVE_SOLREF = (0.01, 1.0)
_PRIMITIVE_SOLIMP = (0.95, 0.99, 0.001)
_BALL_FRICTION = (1.0, 0.005, 0.0005)  # some rolling friction so a ball at rest stays put
_FREE_JOINT_DAMPING = "0.0005"  # as robosuite's own objects


def prefixed(instance: str, local: str) -> str:
    """The post-prefix name of the element ``local`` inside object/fixture ``instance``."""
    return f"{instance}_{local}"


def root_body_name(instance: str) -> str:
    """Name of the root body of a built object or fixture (e.g. ``bowl_1_main``)."""
    return prefixed(instance, ROOT_BODY)


def free_joint_name(instance: str) -> str:
    """Name of the free joint of a built movable object (e.g. ``bowl_1_joint0``)."""
    return prefixed(instance, FREE_JOINT)


def joint_names(instance: str, fixture_type: str) -> dict[str, str]:
    """Articulation name -> post-prefix joint name for a fixture instance."""
    fixture = FIXTURES.get(fixture_type)
    return {art.name: prefixed(instance, art.joint) for art in fixture.articulations}


def handle_site_names(instance: str, fixture_type: str) -> dict[str, str]:
    """Articulation name -> post-prefix handle site name for a fixture instance."""
    fixture = FIXTURES.get(fixture_type)
    return {art.name: prefixed(instance, art.handle_site) for art in fixture.articulations}


def receptacle_body_name(instance: str, type_name: str, receptacle: str) -> str:
    """Post-prefix name of the body a receptacle of an object/fixture instance moves with."""
    entry: ObjectType | FixtureType = (
        FIXTURES.get(type_name) if type_name in FIXTURES else OBJECTS.get(type_name)
    )
    for rec in entry.receptacles:
        if rec.name == receptacle:
            return prefixed(instance, rec.body) if rec.body else root_body_name(instance)
    raise SimulationError(
        f"{type_name!r} has no receptacle {receptacle!r}; it has "
        f"{[r.name for r in entry.receptacles]}"
    )


def resolve_rgba(obj_type: ObjectType, color: str | None) -> tuple[float, ...] | None:
    """The rgba an object gets: the named colour, else the type's first colour, else None.

    Raises ``SimulationError`` for a colour on a type with a fixed texture and
    ``UnknownNameError`` for an unregistered colour. Any registered colour (held-out ones
    included) may paint a colourable type; ``obj_type.colors`` is what generators sample from.
    """
    if color is None:
        return COLORS.get(obj_type.colors[0]).rgba if obj_type.colors else None
    if not obj_type.colors:
        raise SimulationError(
            f"object type {obj_type.name!r} has a fixed texture and cannot be coloured "
            f"{color!r}; pass color=None"
        )
    return COLORS.get(color).rgba


def make_object(name: str, type_name: str, color: str | None = None, scale: float = 1.0) -> Any:
    """Build the catalogue object ``type_name`` as a robosuite ``MujocoObject`` called ``name``.

    The object has a free joint (:func:`free_joint_name`) and its root body origin is the origin
    of the catalogue geometry (``ObjectType.center`` etc., multiplied by ``scale``).
    """
    obj_type = OBJECTS.get(type_name)
    rgba = resolve_rgba(obj_type, color)
    if not scale > 0:
        raise SimulationError(f"object scale must be positive, got {scale!r}")
    import_robosuite()
    if obj_type.source == "primitive":
        return _make_primitive(name, obj_type, rgba, scale)
    from robosuite.models.objects import MujocoXMLObject

    if obj_type.source == "robosuite":
        import robosuite.models.objects as rs_objects

        cls = getattr(rs_objects, obj_type.asset or "", None)
        if cls is None:
            raise SimulationError(
                f"object type {type_name!r} names robosuite class {obj_type.asset!r}, "
                "which robosuite.models.objects does not have"
            )
        obj = cls(name=name)
        if scale != 1.0:
            obj.set_scale(scale)
        return obj
    obj = MujocoXMLObject(
        str(_asset_path(obj_type.asset, type_name)),
        name=name,
        joints=[{"type": "free", "damping": _FREE_JOINT_DAMPING}],
        obj_type="all",
        duplicate_collision_geoms=True,
        scale=None if scale == 1.0 else scale,
    )
    if rgba is not None:
        paint(obj, rgba)
    return obj


def make_fixture(name: str, type_name: str) -> Any:
    """Build the catalogue fixture ``type_name`` as a robosuite object without a free joint."""
    fixture = FIXTURES.get(type_name)
    import_robosuite()
    from robosuite.models.objects import MujocoXMLObject

    return MujocoXMLObject(
        str(_asset_path(fixture.asset, type_name)),
        name=name,
        joints=None,
        obj_type="all",
        duplicate_collision_geoms=True,
    )


def paint(obj: Any, rgba: Iterable[float]) -> int:
    """Set ``rgba`` on the visual ``paint*`` geoms of a built MJCF object; returns how many."""
    text = " ".join(f"{float(v):g}" for v in rgba)
    marker = prefixed(obj.name, PAINT_PREFIX)
    count = 0
    for geom in obj.get_obj().iter("geom"):
        if geom.get("group") == "1" and geom.get("name", "").startswith(marker):
            geom.set("rgba", text)
            count += 1
    if count == 0:
        raise SimulationError(f"object {obj.name!r} has no {PAINT_PREFIX}* geoms to colour")
    return count


def _make_primitive(
    name: str, obj_type: ObjectType, rgba: tuple[float, ...] | None, scale: float
) -> Any:
    from robosuite.models.objects import BallObject, BoxObject, CylinderObject

    hx, hy, hz = (scale * v for v in obj_type.half_size)
    common: dict[str, Any] = {
        "name": name,
        "rgba": list(rgba) if rgba is not None else None,
        "density": _PRIMITIVE_DENSITY,
        "friction": list(_FRICTION),
        "solref": list(_PRIMITIVE_SOLREF),
        "solimp": list(_PRIMITIVE_SOLIMP),
    }
    rng = np.random.default_rng(0)  # sizes are explicit; this only keeps robosuite off OS entropy
    if obj_type.asset == "box":
        return BoxObject(size=[hx, hy, hz], rng=rng, **common)
    if obj_type.asset == "cylinder":
        return CylinderObject(size=[hx, hz], rng=rng, **common)
    if obj_type.asset == "ball":
        common["friction"] = list(_BALL_FRICTION)
        obj = BallObject(size=[hx], **common)
        for geom in obj.get_obj().iter("geom"):
            if geom.get("group") == "0":
                geom.set("condim", "6")
        return obj
    raise SimulationError(
        f"primitive object type {obj_type.name!r} has asset {obj_type.asset!r}; "
        "expected 'box', 'cylinder' or 'ball'"
    )


def _asset_path(asset: str | None, type_name: str) -> Any:
    path = envs_dir() / (asset or "")
    if not asset or not path.is_file():
        raise SimulationError(
            f"the MJCF file {asset!r} of {type_name!r} is missing under {envs_dir()}; "
            "reinstall robolearn or restore envs/"
        )
    return path


def body_aabb(
    model: mujoco.MjModel,
    data: mujoco.MjData,
    body: str | int,
    subtree: bool = True,
    frame: str | int | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Exact axis-aligned bounding box (centre, half size) of a body's collision geoms.

    The box is expressed in the frame of body ``frame`` (default: ``body`` itself) at the
    current kinematics of ``data`` (call ``mujoco.mj_forward`` first). ``subtree`` includes the
    geoms of descendant bodies. Only geoms that collide (contype or conaffinity set) count.
    """
    body_id = body if isinstance(body, int) else model.body(body).id
    ref_id = body_id if frame is None else frame if isinstance(frame, int) else model.body(frame).id
    bodies = {body_id}
    if subtree:
        for b in range(model.nbody):
            anc = b
            while anc > 0 and anc not in bodies:
                anc = int(model.body_parentid[anc])
            if anc in bodies:
                bodies.add(b)
    ref_pos, ref_mat = data.xpos[ref_id], data.xmat[ref_id].reshape(3, 3)
    lo, hi = np.full(3, np.inf), np.full(3, -np.inf)
    for g in range(model.ngeom):
        if int(model.geom_bodyid[g]) not in bodies:
            continue
        if model.geom_contype[g] == 0 and model.geom_conaffinity[g] == 0:
            continue
        rot = ref_mat.T @ data.geom_xmat[g].reshape(3, 3)
        pos = ref_mat.T @ (data.geom_xpos[g] - ref_pos)
        if model.geom_type[g] == mujoco.mjtGeom.mjGEOM_MESH:
            mesh = model.geom_dataid[g]
            start = model.mesh_vertadr[mesh]
            verts = model.mesh_vert[start : start + model.mesh_vertnum[mesh]]
            points = pos + verts @ rot.T
            lo, hi = np.minimum(lo, points.min(0)), np.maximum(hi, points.max(0))
            continue
        ext = _geom_extent(int(model.geom_type[g]), model.geom_size[g], rot)
        lo, hi = np.minimum(lo, pos - ext), np.maximum(hi, pos + ext)
    if not np.all(np.isfinite(lo)):
        raise SimulationError(f"body {body!r} has no collision geoms")
    return (lo + hi) / 2.0, (hi - lo) / 2.0


def _geom_extent(
    geom_type: int, size: npt.NDArray[np.float64], rot: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Half extents along the reference axes of a primitive geom with orientation ``rot``."""
    axis = np.abs(rot[:, 2])
    radial = np.sqrt(np.clip(1.0 - axis**2, 0.0, None))
    ext: npt.NDArray[np.float64]
    if geom_type == mujoco.mjtGeom.mjGEOM_SPHERE:
        ext = np.full(3, size[0])
    elif geom_type == mujoco.mjtGeom.mjGEOM_CYLINDER:
        ext = axis * size[1] + radial * size[0]
    elif geom_type == mujoco.mjtGeom.mjGEOM_CAPSULE:
        ext = axis * size[1] + size[0]
    elif geom_type == mujoco.mjtGeom.mjGEOM_BOX:
        ext = np.abs(rot) @ size[:3]
    elif geom_type == mujoco.mjtGeom.mjGEOM_ELLIPSOID:
        ext = np.sqrt((rot**2) @ (size[:3] ** 2))
    else:
        raise SimulationError(
            f"cannot bound geom type {geom_type} (planes/heightfields are unbounded)"
        )
    return ext

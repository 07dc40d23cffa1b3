"""Build a :class:`~robolearn.tasks.predicates.WorldState` from poses (sim-free).

The env calls :func:`world_state` with poses read from MuJoCo; the placement sampler calls
it with sampled poses, so init constraints and goals are checked by the same code.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from robolearn.tasks.catalogue import FIXTURES, OBJECTS
from robolearn.tasks.predicates import Box, Joint, WorldState, quat_to_mat
from robolearn.tasks.spec import TaskSpec

TABLE_Z = 0.8


def fixture_pose(spec: TaskSpec, name: str) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    fix = spec.fixture(name)
    quat = (math.cos(fix.yaw / 2), 0.0, 0.0, math.sin(fix.yaw / 2))
    return np.array([fix.pos[0], fix.pos[1], TABLE_Z]), quat


def world_state(
    spec: TaskSpec,
    poses: Mapping[str, Sequence[float]],
    joint_fractions: Mapping[str, float],
    part_offsets: Mapping[str, Sequence[float]] | None = None,
) -> WorldState:
    """World state of ``spec`` with object ``poses`` (x, y, z, qw, qx, qy, qz).

    ``joint_fractions`` maps ``<fixture>.<articulation>`` to the fraction of its range.
    ``part_offsets`` optionally gives, for a receptacle on a moving body, its displacement
    in the fixture frame; by default a slide joint's displacement is derived from its
    fraction and the articulation's ``push_axis``.
    """
    boxes: dict[str, Box] = {}
    receptacles: dict[str, tuple[Box, str]] = {}
    for o in spec.objects:
        if o.name not in poses:  # not placed yet (the placement sampler builds up a scene)
            continue
        otype = OBJECTS.get(o.type)
        pose = poses[o.name]
        boxes[o.name] = Box.from_pose(pose[:3], pose[3:7], otype.center, otype.half_size, o.scale)
        for rec in otype.receptacles:
            receptacles[f"{o.name}.{rec.name}"] = (
                Box.from_pose(pose[:3], pose[3:7], rec.center, rec.half_size, o.scale),
                rec.kind,
            )
    joints: dict[str, Joint] = {}
    for fix in spec.fixtures:
        ftype = FIXTURES.get(fix.type)
        pos, quat = fixture_pose(spec, fix.name)
        boxes[fix.name] = Box.from_pose(pos, quat, ftype.center, ftype.half_size)
        for art in ftype.articulations:
            key = f"{fix.name}.{art.name}"
            frac = float(joint_fractions.get(key, 0.0))
            joints[key] = Joint(frac, art.predicates, art.on_threshold, art.off_threshold)
        rot = quat_to_mat(quat)
        for rec in ftype.receptacles:
            key = f"{fix.name}.{rec.name}"
            offset = np.zeros(3)
            body = getattr(rec, "body", None)
            if part_offsets is not None and key in part_offsets:
                offset = np.asarray(part_offsets[key], float)
            elif body is not None:
                for art in ftype.articulations:
                    if art.kind == "slide":
                        lo, hi = art.range
                        frac = joints[f"{fix.name}.{art.name}"].fraction
                        offset = np.asarray(art.push_axis, float) * (lo + frac * (hi - lo))
            center = pos + rot @ (np.asarray(rec.center, float) + offset)
            receptacles[key] = (Box(center, np.asarray(rec.half_size, float), rot), rec.kind)
    return WorldState(
        boxes=boxes,
        receptacles=receptacles,
        joints=joints,
        regions={r.name: r for r in spec.regions},
        table_z=TABLE_Z,
    )

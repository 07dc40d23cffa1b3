"""Render every catalogue object and fixture on one table and save docs/catalogue.png.

    MUJOCO_GL=egl .venv/bin/python scripts/render_catalogue.py [--out docs/catalogue.png]

Objects stand in a grid at the front of a large table, fixtures in a row at the back (fronts
facing +x); the fixtures' joints are set to 60% of their range so drawers and doors show. The
scene settles for half a second before four views (overview, top-down, objects close-up,
fixtures close-up) are rendered at 480x480 and tiled 2x2.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import mujoco
import numpy as np

from robolearn.sim import import_robosuite
from robolearn.sim.objects import joint_names, make_fixture, make_object
from robolearn.tasks.catalogue import FIXTURES, OBJECTS

TABLE_TOP = 0.8
SIZE = 480
OPEN_FRACTION = 0.6
# (lookat, distance, azimuth, elevation) of the free cameras
VIEWS = {
    "overview": ((0.0, 0.0, 0.85), 1.7, 180.0, -35.0),
    "top": ((0.0, 0.0, 0.8), 1.6, 180.0, -89.0),
    "objects": ((0.12, 0.0, 0.84), 1.15, 175.0, -30.0),
    "fixtures": ((-0.38, 0.0, 0.88), 0.95, 200.0, -25.0),
}


def build_model(object_colors: dict[str, str] | None = None) -> tuple[mujoco.MjModel, list]:
    """A table with every object (front grid) and fixture (back row); returns model, fixtures."""
    import_robosuite()
    from robosuite.models.arenas import TableArena
    from robosuite.models.tasks import ManipulationTask

    colors = object_colors or {}
    objects = []
    names = OBJECTS.names()
    for i, type_name in enumerate(names):
        row, col = divmod(i, 5)
        obj_type = OBJECTS.get(type_name)
        obj = make_object(type_name, type_name, color=colors.get(type_name))
        x, y = 0.4 - 0.2 * row, -0.44 + 0.22 * col
        z = TABLE_TOP - obj_type.bottom_z
        obj.get_obj().set("pos", f"{x} {y} {z}")
        objects.append(obj)
    fixtures = []
    for i, type_name in enumerate(FIXTURES.names()):
        fixture = make_fixture(type_name, type_name)
        fixture.get_obj().set("pos", f"-0.38 {-0.32 + 0.32 * i} {TABLE_TOP}")
        fixtures.append(fixture)
    arena = TableArena(table_full_size=(1.3, 1.2, 0.05), table_offset=(0, 0, TABLE_TOP))
    task = ManipulationTask(mujoco_arena=arena, mujoco_robots=[], mujoco_objects=objects + fixtures)
    return mujoco.MjModel.from_xml_string(task.get_xml()), fixtures


def render_views(model: mujoco.MjModel, data: mujoco.MjData) -> np.ndarray:
    """The four views tiled 2x2 as one HxWx3 uint8 image."""
    option = mujoco.MjvOption()
    option.geomgroup[0] = 0  # hide collision geoms, as robosuite does
    renderer = mujoco.Renderer(model, SIZE, SIZE)
    tiles = []
    for lookat, distance, azimuth, elevation in VIEWS.values():
        camera = mujoco.MjvCamera()
        camera.lookat[:] = lookat
        camera.distance, camera.azimuth, camera.elevation = distance, azimuth, elevation
        renderer.update_scene(data, camera=camera, scene_option=option)
        tiles.append(renderer.render().copy())
    renderer.close()
    top = np.concatenate(tiles[:2], axis=1)
    bottom = np.concatenate(tiles[2:], axis=1)
    return np.concatenate([top, bottom], axis=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/catalogue.png"))
    args = parser.parse_args()
    # vary the colours so the picture shows that colourable types take them
    colors = {
        name: OBJECTS.get(name).colors[i % len(OBJECTS.get(name).colors)]
        for i, name in enumerate(OBJECTS.names())
        if OBJECTS.get(name).colors
    }
    model, fixtures = build_model(colors)
    data = mujoco.MjData(model)
    for fixture in fixtures:
        fixture_type = FIXTURES.get(fixture.name)
        for art in fixture_type.articulations:
            joint = model.joint(joint_names(fixture.name, fixture.name)[art.name])
            lo, hi = art.range
            data.qpos[joint.qposadr[0]] = lo + OPEN_FRACTION * (hi - lo)
    for _ in range(int(0.5 / model.opt.timestep)):
        mujoco.mj_step(model, data)
    image = render_views(model, data)
    from PIL import Image

    args.out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(args.out)
    print(f"wrote {args.out} ({image.shape[1]}x{image.shape[0]})")


if __name__ == "__main__":
    main()

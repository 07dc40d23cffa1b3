"""Observation config and camera rendering (RGB, depth in metres, segmentation).

Rendering is software rasterisation (Mesa) on most machines, so a frame costs about its
triangle count: the Panda's visual meshes are ~110k triangles and its mount pedestal 33k, out of
~170k in a scene. ``robot_detail="lite"`` draws each robot link whose visual meshes are heavy
with its coarse collision geoms instead (a few hundred triangles each), coloured with the link's
main visual material; light links (the fingers, the first arm link whose collision mesh is as
fine as its visual one) keep their visual meshes. Only geom groups, colours and materials
change, never ``contype``/``conaffinity`` or shapes, so physics and contacts are untouched; the
segmentation labels are the same (the geoms belong to the same bodies).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from robolearn.errors import ConfigError
from robolearn.sim.backend import prepare_gl_context

# public camera name -> MJCF camera name
CAMERAS = {
    "agentview": "agentview",
    "wrist": "robot0_eye_in_hand",
    "topdown": "topdown",
    "frontview": "frontview",
    "sideview": "sideview",
}
ROBOT_DETAILS = ("auto", "full", "lite")
VISUAL_GROUP, COLLISION_GROUP = 1, 0  # robosuite's geom groups
FULL_ROBOT_GROUP, LITE_ROBOT_GROUP = 3, 4  # where split_robot_detail moves the robot's geoms
HEAVY_FACES = 1000  # a body's visual meshes above this many faces get a lite stand-in ...
LITE_RATIO = 4  # ... if its collision geoms have at most 1/LITE_RATIO of those faces


@dataclass(frozen=True)
class ObsConfig:
    """Which observations an env returns. Image keys are ``<camera>_rgb|_depth|_seg``.

    ``fast_render`` turns off skybox, reflections and shadows (about 2x faster images).
    ``robot_detail``: ``"lite"`` draws the robot with its coarse collision geoms (see the module
    docstring; about 2-3x faster images again, the robot still clearly a Panda), ``"full"``
    with its visual meshes; ``"auto"`` (default) means lite when ``fast_render`` is on. It
    applies to observation images and ``render()`` alike.
    """

    cameras: tuple[str, ...] = ()
    image_size: int = 128
    rgb: bool = True
    depth: bool = False
    segmentation: bool = False
    proprio: bool = True
    object_state: bool = False
    render_size: int = 256
    render_camera: str = "agentview"
    fast_render: bool = True  # no skybox, reflections or shadows: about 2x faster images
    robot_detail: str = "auto"  # "full" | "lite" | "auto" (lite when fast_render)

    def __post_init__(self) -> None:
        for cam in (*self.cameras, self.render_camera):
            if cam not in CAMERAS:
                raise ConfigError(f"unknown camera {cam!r}; choose from {sorted(CAMERAS)}")
        if self.image_size <= 0 or self.render_size <= 0:
            raise ConfigError("image_size and render_size must be positive")
        if self.robot_detail not in ROBOT_DETAILS:
            raise ConfigError(
                f"unknown robot_detail {self.robot_detail!r}; choose from {ROBOT_DETAILS}"
            )

    @classmethod
    def from_any(cls, value: ObsConfig | dict[str, Any] | None) -> ObsConfig:
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        data = dict(value)
        if "cameras" in data:
            data["cameras"] = tuple(data["cameras"])
        try:
            return cls(**data)
        except TypeError as exc:
            raise ConfigError(f"bad observation config {value!r}: {exc}") from None


@dataclass
class CameraRig:
    """One mujoco.Renderer per image size, sharing the model; images come out upright.

    ``robot_detail`` ("full", "lite" or "auto": lite when ``fast``) picks how the robot is
    drawn. A lite rig splits the model's robot geoms into full and lite render groups
    (:func:`split_robot_detail`), which leaves everything else, physics included, as it was;
    a full rig leaves the model untouched.
    """

    model: Any
    fast: bool = True
    robot_detail: str = "auto"
    renderers: dict[tuple[int, int], Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.robot_detail not in ROBOT_DETAILS:
            raise ConfigError(f"unknown robot_detail {self.robot_detail!r}")
        if self.robot_detail == "auto":
            self.robot_detail = "lite" if self.fast else "full"
        if self.robot_detail == "lite":
            split_robot_detail(self.model)
        self._option = self._make_option()

    def _renderer(self, size: int) -> Any:
        import mujoco

        key = (size, size)
        if key not in self.renderers:
            prepare_gl_context()
            renderer = mujoco.Renderer(self.model, height=size, width=size)
            if self.fast:
                for flag in ("mjRND_SKYBOX", "mjRND_REFLECTION", "mjRND_SHADOW"):
                    renderer.scene.flags[getattr(mujoco.mjtRndFlag, flag)] = 0
            self.renderers[key] = renderer
        return self.renderers[key]

    def option(self) -> Any:
        """The MjvOption the rig renders with (shared; do not modify)."""
        return self._option

    def _make_option(self) -> Any:
        import mujoco

        opt = mujoco.MjvOption()
        opt.geomgroup[:] = 0
        opt.geomgroup[VISUAL_GROUP] = 1  # visual geoms only (group 0: robosuite's collision)
        robot = LITE_ROBOT_GROUP if self.robot_detail == "lite" else FULL_ROBOT_GROUP
        opt.geomgroup[robot] = 1
        return opt

    def render(self, data: Any, camera: str, size: int, kind: str = "rgb") -> np.ndarray:
        renderer = self._renderer(size)
        if kind == "depth":
            renderer.enable_depth_rendering()
        elif kind == "seg":
            renderer.enable_segmentation_rendering()
        renderer.update_scene(data, camera=CAMERAS[camera], scene_option=self._option)
        image = renderer.render()
        renderer.disable_depth_rendering()
        renderer.disable_segmentation_rendering()
        return image

    def close(self) -> None:
        for renderer in self.renderers.values():
            renderer.close()
        self.renderers.clear()


def split_robot_detail(model: Any) -> int:
    """Give each heavy robot link a lite stand-in drawn from its collision geoms; idempotent.

    For every body of a robot (its root body is named ``robot*``) whose visual meshes
    (group 1) have at least ``HEAVY_FACES`` faces and whose collision geoms (group 0) have at
    most 1/``LITE_RATIO`` of that: the visual geoms move to ``FULL_ROBOT_GROUP`` and the
    collision geoms to ``LITE_ROBOT_GROUP``, taking the material and colour of the body's
    largest visual mesh. Renders show group 1 plus one of the two. Geom groups, colours and
    materials do not enter physics. Returns the number of bodies split by this call.
    """
    import mujoco

    def faces(geom: int) -> int:
        if model.geom_type[geom] != mujoco.mjtGeom.mjGEOM_MESH:
            return 0
        return int(model.mesh_facenum[model.geom_dataid[geom]])

    by_body: dict[int, list[int]] = {}
    for geom in range(model.ngeom):
        by_body.setdefault(int(model.geom_bodyid[geom]), []).append(geom)
    split = 0
    for body, geoms in by_body.items():
        root = mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_BODY, model.body_rootid[body]) or ""
        if not root.startswith("robot"):
            continue
        visual = [g for g in geoms if model.geom_group[g] == VISUAL_GROUP]
        collision = [g for g in geoms if model.geom_group[g] == COLLISION_GROUP]
        heavy = sum(faces(g) for g in visual)
        if not collision or heavy < HEAVY_FACES or LITE_RATIO * sum(map(faces, collision)) > heavy:
            continue
        main = max(visual, key=faces)
        mat = int(model.geom_matid[main])
        rgba = model.mat_rgba[mat] if mat >= 0 else model.geom_rgba[main]
        for g in visual:
            model.geom_group[g] = FULL_ROBOT_GROUP
        for g in collision:
            model.geom_group[g] = LITE_ROBOT_GROUP
            model.geom_matid[g] = mat
            model.geom_rgba[g] = rgba
        split += 1
    return split


def intrinsics(model: Any, camera: str, size: int) -> np.ndarray:
    """3x3 pinhole intrinsics of ``camera`` for a ``size`` x ``size`` image."""
    import mujoco

    cam_id = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_CAMERA, CAMERAS[camera])
    fovy = math.radians(float(model.cam_fovy[cam_id]))
    f = 0.5 * size / math.tan(fovy / 2)
    return np.array([[f, 0.0, size / 2], [0.0, f, size / 2], [0.0, 0.0, 1.0]])


def extrinsics(model: Any, data: Any, camera: str) -> np.ndarray:
    """4x4 world-from-camera pose in the OpenCV convention (x right, y down, z forward)."""
    import mujoco

    cam_id = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_CAMERA, CAMERAS[camera])
    pose = np.eye(4)
    rot = data.cam_xmat[cam_id].reshape(3, 3)  # MuJoCo camera: x right, y up, looks along -z
    pose[:3, :3] = rot @ np.diag([1.0, -1.0, -1.0])
    pose[:3, 3] = data.cam_xpos[cam_id]
    return pose

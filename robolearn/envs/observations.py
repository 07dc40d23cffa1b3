"""Observation config and camera rendering (RGB, depth in metres, segmentation)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from robolearn.errors import ConfigError

# public camera name -> MJCF camera name
CAMERAS = {
    "agentview": "agentview",
    "wrist": "robot0_eye_in_hand",
    "topdown": "topdown",
    "frontview": "frontview",
    "sideview": "sideview",
}


@dataclass(frozen=True)
class ObsConfig:
    """Which observations an env returns. Image keys are ``<camera>_rgb|_depth|_seg``."""

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

    def __post_init__(self) -> None:
        for cam in (*self.cameras, self.render_camera):
            if cam not in CAMERAS:
                raise ConfigError(f"unknown camera {cam!r}; choose from {sorted(CAMERAS)}")
        if self.image_size <= 0 or self.render_size <= 0:
            raise ConfigError("image_size and render_size must be positive")

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
    """One mujoco.Renderer per image size, sharing the model; images come out upright."""

    model: Any
    fast: bool = True
    renderers: dict[tuple[int, int], Any] = field(default_factory=dict)

    def _renderer(self, size: int) -> Any:
        import mujoco

        key = (size, size)
        if key not in self.renderers:
            renderer = mujoco.Renderer(self.model, height=size, width=size)
            if self.fast:
                for flag in ("mjRND_SKYBOX", "mjRND_REFLECTION", "mjRND_SHADOW"):
                    renderer.scene.flags[getattr(mujoco.mjtRndFlag, flag)] = 0
            self.renderers[key] = renderer
        return self.renderers[key]

    def option(self) -> Any:
        import mujoco

        opt = mujoco.MjvOption()
        opt.geomgroup[:] = 0
        opt.geomgroup[1] = 1  # visual geoms only (group 0 holds robosuite's collision geoms)
        return opt

    def render(self, data: Any, camera: str, size: int, kind: str = "rgb") -> np.ndarray:
        renderer = self._renderer(size)
        if kind == "depth":
            renderer.enable_depth_rendering()
        elif kind == "seg":
            renderer.enable_segmentation_rendering()
        renderer.update_scene(data, camera=CAMERAS[camera], scene_option=self.option())
        image = renderer.render()
        renderer.disable_depth_rendering()
        renderer.disable_segmentation_rendering()
        return image

    def close(self) -> None:
        for renderer in self.renderers.values():
            renderer.close()
        self.renderers.clear()


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

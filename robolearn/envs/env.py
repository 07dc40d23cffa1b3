"""The gymnasium Env over a TaskScene (see ARCHITECTURE.md, "Env").

Actions: 7-D OSC_POSE deltas in [-1, 1] (dx, dy, dz, droll, dpitch, dyaw, gripper; gripper
+1 closes). Observations: ``<camera>_rgb`` (and ``_depth`` in metres, ``_seg`` instance
labels) upright, ``eef_pos``, ``eef_quat`` (w, x, y, z), ``gripper_qpos``, ``joint_pos``
and, when asked, ``object_state``. ``info["is_success"]`` is the goal conjunction.
"""

from __future__ import annotations

import logging
import math
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from robolearn.envs.init_states import init_states
from robolearn.envs.observations import CameraRig, ObsConfig, extrinsics, intrinsics
from robolearn.errors import InvalidActionError, RobolearnError
from robolearn.tasks.catalogue import OBJECTS
from robolearn.tasks.placement import InitState, sample_init
from robolearn.tasks.predicates import evaluate
from robolearn.tasks.spec import TaskSpec
from robolearn.tasks.world import world_state

log = logging.getLogger(__name__)
ACTION_DIM = 7


class RobolearnEnv(gym.Env):
    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array"], "render_fps": 20}

    def __init__(
        self,
        task: TaskSpec | str,
        obs: ObsConfig | dict[str, Any] | None = None,
        render_mode: str | None = "rgb_array",
        control_freq: int = 20,
    ) -> None:
        from robolearn.sim.scene import TaskScene
        from robolearn.tasks.suites import get_task

        self.spec_task = get_task(task) if isinstance(task, str) else task
        self.obs_config = ObsConfig.from_any(obs)
        self.render_mode = render_mode
        self.metadata = {**self.metadata, "render_fps": control_freq}
        self.scene = TaskScene(self.spec_task, control_freq=control_freq)
        self._model = self.scene.sim.model._model
        self._data = self.scene.sim.data._data
        self.rig = CameraRig(
            self._model, fast=self.obs_config.fast_render, robot_detail=self.obs_config.robot_detail
        )
        self._camera_defaults = (self._model.cam_pos.copy(), self._model.cam_quat.copy())
        self.action_space = spaces.Box(-1.0, 1.0, (ACTION_DIM,), np.float32)
        self._init: InitState | None = None
        self._seg_lut = self._segmentation_lut()
        types = [OBJECTS.get(o.type) for o in self.spec_task.objects]
        self._grasp_axes = (  # per object: grasp_yaw_order and the grasp's yaw (see object_rel_yaw)
            np.array([t.grasp_yaw_order for t in types], dtype=float),
            np.array([t.grasp.yaw if t.grasp else 0.0 for t in types]),
        )
        self.scene.set_init(sample_init(self.spec_task, np.random.default_rng(0)))
        self.scene.reset()
        self.observation_space = self._make_space(self._observe())

    # -- gymnasium API --------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        super().reset(seed=seed)
        options = options or {}
        index = options.get("init_state")
        if isinstance(index, InitState | dict):  # a stored initial state (e.g. a demo's)
            self._init = index if isinstance(index, InitState) else InitState.from_dict(index)
        elif index is not None:
            states = init_states(self.spec_task)
            if not isinstance(index, int | np.integer) or not 0 <= index < len(states):
                raise RobolearnError(
                    f"init_state {index!r} out of range for {self.spec_task.task_id}: "
                    f"it has {len(states)} fixed initial states (0..{len(states) - 1})"
                )
            self._init = states[int(index)]
        else:
            self._init = sample_init(self.spec_task, self.np_random)
        self._jitter_cameras()
        self.scene.set_init(self._init)
        self.scene.reset()
        status = self.goal_status()
        return self._observe(status), self._info(status)

    def step(self, action: Any) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        act = np.asarray(action, dtype=np.float64)
        if act.shape != (ACTION_DIM,):
            raise InvalidActionError(f"action must have shape ({ACTION_DIM},), got {act.shape}")
        if not np.all(np.isfinite(act)):
            raise InvalidActionError(f"action has NaN/inf entries: {act.tolist()}")
        self.scene.advance(np.clip(act, -1.0, 1.0))
        status = self.goal_status()
        info = self._info(status)
        success = info["is_success"]
        return self._observe(status), float(success), success, False, info

    def render(self) -> np.ndarray | None:
        if self.render_mode != "rgb_array":
            return None
        cfg = self.obs_config
        return self.rig.render(self._data, cfg.render_camera, cfg.render_size)

    def close(self) -> None:
        self.rig.close()
        self.scene.close()

    # -- state ----------------------------------------------------------------------------
    def get_state(self) -> np.ndarray:
        """The full MuJoCo integration state (time, qpos, qvel, act, warm start, ctrl...)."""
        import mujoco

        spec = mujoco.mjtState.mjSTATE_INTEGRATION
        state = np.empty(mujoco.mj_stateSize(self._model, spec))
        mujoco.mj_getState(self._model, self._data, state, spec)
        return state

    def set_state(self, state: np.ndarray) -> None:
        import mujoco

        spec = mujoco.mjtState.mjSTATE_INTEGRATION
        expected = mujoco.mj_stateSize(self._model, spec)
        state = np.asarray(state, dtype=np.float64)
        if state.shape != (expected,):
            raise RobolearnError(f"state must have shape ({expected},), got {state.shape}")
        mujoco.mj_setState(self._model, self._data, state, spec)
        mujoco.mj_forward(self._model, self._data)

    @property
    def task(self) -> TaskSpec:
        return self.spec_task

    @property
    def init_state(self) -> InitState | None:
        return self._init

    def world_state(self):
        return world_state(self.spec_task, self.scene.object_poses(), self.scene.joint_fractions())

    def goal_status(self) -> list[bool]:
        return evaluate(self.spec_task.goal, self.world_state())

    def camera_params(self, camera: str) -> dict[str, np.ndarray]:
        """Intrinsics (for ``image_size``) and world-from-camera extrinsics (OpenCV)."""
        return {
            "intrinsics": intrinsics(self._model, camera, self.obs_config.image_size),
            "extrinsics": extrinsics(self._model, self._data, camera),
        }

    # -- internals ------------------------------------------------------------------------
    def _info(self, status: list[bool]) -> dict[str, Any]:
        return {"is_success": all(status), "goal_status": status, "task_id": self.spec_task.task_id}

    def _observe(self, status: list[bool] | None = None) -> dict[str, np.ndarray]:
        cfg, data, scene = self.obs_config, self._data, self.scene
        obs: dict[str, np.ndarray] = {}
        for cam in cfg.cameras:
            if cfg.rgb:
                obs[f"{cam}_rgb"] = self.rig.render(data, cam, cfg.image_size)
            if cfg.depth:
                obs[f"{cam}_depth"] = self.rig.render(data, cam, cfg.image_size, "depth")[
                    ..., None
                ].astype(np.float32)
            if cfg.segmentation:
                ids = self.rig.render(data, cam, cfg.image_size, "seg")
                obs[f"{cam}_seg"] = self._segment(ids)
        if cfg.proprio:
            obs["eef_pos"] = data.site_xpos[scene.eef_site].astype(np.float32)
            mat = data.site_xmat[scene.eef_site]
            quat = np.empty(4)
            import mujoco

            mujoco.mju_mat2Quat(quat, mat)
            obs["eef_quat"] = quat.astype(np.float32)
            obs["gripper_qpos"] = data.qpos[scene.gripper_qpos_idx].astype(np.float32)
            obs["joint_pos"] = data.qpos[scene.arm_qpos_idx].astype(np.float32)
        if cfg.object_state:
            eef = data.site_xpos[scene.eef_site]
            poses = scene.object_poses()
            obs["object_state"] = self._object_state(poses)
            # robosuite's `<object>_to_robot0_eef_pos` convention: what low-dim policies learn from
            obs["object_rel_pos"] = self._object_rel_pos(poses, eef)
            # each object's orientation in the gripper's frame (robosuite's
            # `<object>_to_robot0_eef_quat`, as a rotation matrix's first two columns: unlike a
            # quaternion it has no sign flips): how far the hand must still turn to a grasp
            hand = np.asarray(data.site_xmat[scene.eef_site], float).reshape(3, 3)
            rots = self._object_rots(poses)
            obs["object_rel_rot"] = self._object_rel_rot(rots, hand)
            # per object, the turn the hand still needs to its top-grasp axis, modulo the
            # object's symmetry, as (cos, sin) (zeros for round things)
            obs["object_rel_yaw"] = self._object_rel_yaw(rots, hand)
            # each fixture's root and each articulation's handle minus the end effector (world
            # frame; empty without fixtures): where to grasp a drawer, door or knob
            obs["fixture_rel_pos"] = (
                (scene.fixture_points_pos() - eef).reshape(-1).astype(np.float32)
            )
            # which of the task's goal atoms hold now (1/0, goal order): the stage a
            # multi-stage task has reached, as the success check sees it
            if status is None:
                status = self.goal_status()
            obs["goal_status"] = np.asarray(status, dtype=np.float32)
        return obs

    def _object_rel_pos(self, poses: dict[str, np.ndarray], eef: np.ndarray) -> np.ndarray:
        """Each object's position minus the end effector's (world frame), spec order."""
        rel = [poses[o.name][:3] - eef for o in self.spec_task.objects]
        return np.concatenate(rel).astype(np.float32)

    def _object_rots(self, poses: dict[str, np.ndarray]) -> np.ndarray:
        """Each object's rotation matrix (spec order), (n, 3, 3)."""
        import mujoco

        mats = np.empty((len(self.spec_task.objects), 9))
        for i, o in enumerate(self.spec_task.objects):
            mujoco.mju_quat2Mat(mats[i], poses[o.name][3:7])
        return mats.reshape(-1, 3, 3)

    def _object_rel_rot(self, rots: np.ndarray, hand: np.ndarray) -> np.ndarray:
        """Per object (spec order) the first two columns of R_eef^T R_obj, 6 numbers."""
        rel = hand.T @ rots  # (n, 3, 3)
        return rel[:, :, :2].transpose(0, 2, 1).reshape(-1).astype(np.float32)  # col 0, col 1

    def _object_rel_yaw(self, rots: np.ndarray, hand: np.ndarray) -> np.ndarray:
        """Per object (spec order) ``(cos kd, sin kd)``: ``d`` the yaw of its top-grasp axis
        (its x axis turned by the grasp's yaw) minus the gripper's, ``k`` its
        ``grasp_yaw_order``; zeros where the yaw does not matter (``k`` 0: round things).

        Yaw is the heading of a frame's x axis in the world's xy plane. Multiplying by ``k``
        makes the feature equal for grasps the object's symmetry cannot tell apart, so the
        turn the hand still needs is one function of it with a single jump (at a turn of
        ``pi / k`` either way).
        """
        k, grasp_yaw = self._grasp_axes
        d = k * (
            np.arctan2(rots[:, 1, 0], rots[:, 0, 0])
            + grasp_yaw
            - math.atan2(hand[1, 0], hand[0, 0])
        )
        out = np.stack([np.cos(d), np.sin(d)], axis=1) * (k > 0)[:, None]
        return out.reshape(-1).astype(np.float32)

    def _object_state(self, poses: dict[str, np.ndarray]) -> np.ndarray:
        parts = [poses[o.name] for o in self.spec_task.objects]
        parts.append(np.array(list(self.scene.joint_fractions().values()), dtype=float))
        return np.concatenate(parts).astype(np.float32)

    @property
    def segmentation_labels(self) -> dict[int, str]:
        """Instance label -> name: 0 background, 1 table, 2 robot, then objects and fixtures."""
        names = [
            "background",
            "table",
            "robot",
            *(o.name for o in self.spec_task.objects),
            *(f.name for f in self.spec_task.fixtures),
        ]
        return dict(enumerate(names))

    def _segmentation_lut(self) -> np.ndarray:
        import mujoco

        model = self._model
        lut = np.zeros(model.ngeom + 1, dtype=np.uint8)  # index geom id + 1 (-1 = nothing)
        owners = {name: label for label, name in self.segmentation_labels.items() if label >= 3}
        for gid in range(model.ngeom):
            body = model.geom_bodyid[gid]
            name = mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_BODY, body) or ""
            root = mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_BODY, model.body_rootid[body]) or ""
            label = 0
            for owner, owner_label in owners.items():
                if root.startswith(f"{owner}_") or name.startswith(f"{owner}_"):
                    label = owner_label
            if label == 0 and (root.startswith("robot0") or name.startswith("gripper0")):
                label = 2
            if label == 0 and name.startswith("table"):
                label = 1
            lut[gid + 1] = label
        return lut

    def _segment(self, ids: np.ndarray) -> np.ndarray:
        import mujoco

        geom = np.where(ids[..., 1] == mujoco.mjtObj.mjOBJ_GEOM, ids[..., 0], -1)
        return self._seg_lut[geom + 1][..., None]

    def _jitter_cameras(self) -> None:
        pos0, quat0 = self._camera_defaults
        self._model.cam_pos[:] = pos0
        self._model.cam_quat[:] = quat0
        std_pos, std_rot = self.spec_task.camera_jitter
        if std_pos == 0 and std_rot == 0:
            return
        rng = self.np_random
        for cid in range(self._model.ncam):
            if self._model.cam_bodyid[cid] != 0:  # only world-fixed cameras, not the wrist
                continue
            self._model.cam_pos[cid] = pos0[cid] + rng.normal(0, std_pos, 3)
            axis = rng.normal(size=3)
            angle = rng.normal(0, std_rot)
            dq = np.concatenate(
                [[np.cos(angle / 2)], np.sin(angle / 2) * axis / np.linalg.norm(axis)]
            )
            q = np.empty(4)
            import mujoco

            mujoco.mju_mulQuat(q, dq, quat0[cid])
            self._model.cam_quat[cid] = q

    @staticmethod
    def _make_space(obs: dict[str, np.ndarray]) -> spaces.Dict:
        items = {}
        for key, value in obs.items():
            if value.dtype == np.uint8:
                items[key] = spaces.Box(0, 255, value.shape, np.uint8)
            else:
                items[key] = spaces.Box(-np.inf, np.inf, value.shape, np.float32)
        return spaces.Dict(items)

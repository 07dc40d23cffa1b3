"""A robosuite ManipulationEnv built from a TaskSpec, with a lean step loop.

``TaskScene`` builds the MJCF once (table arena, Panda, catalogue objects, fixtures, an extra
top-down camera) and then resets without recompiling (``hard_reset=False``): an episode
start only writes object poses, fixture joints and robot joints from an
:class:`~robolearn.tasks.placement.InitState`.

``advance(action)`` runs the control step without robosuite's per-substep observable
updates and reward bookkeeping; observations are read once per control step by the env. By
default the arm and gripper are driven by :class:`~robolearn.sim.control.LeanOSC`, which
computes the same torques as robosuite's default OSC_POSE composite controller in ~5 µs
instead of ~170 µs per substep; ``controller="robosuite"`` runs ``robot.control`` instead.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import mujoco
import numpy as np

from robolearn.errors import ConfigError
from robolearn.sim.backend import import_robosuite
from robolearn.sim.control import LeanOSC
from robolearn.tasks.catalogue import FIXTURES
from robolearn.tasks.placement import InitState
from robolearn.tasks.spec import TaskSpec
from robolearn.tasks.world import TABLE_Z

log = logging.getLogger(__name__)

import_robosuite()

from collections import OrderedDict  # noqa: E402

from robosuite.environments.manipulation.manipulation_env import ManipulationEnv  # noqa: E402
from robosuite.models.arenas import TableArena  # noqa: E402
from robosuite.models.tasks import ManipulationTask  # noqa: E402

from robolearn.sim.objects import make_fixture, make_object, prefixed  # noqa: E402

TOPDOWN_POS = (0.0, 0.0, TABLE_Z + 1.0)
TOPDOWN_QUAT = (0.7071068, 0.0, 0.0, 0.7071068)  # looking straight down, image up = +x
ARM_JOINTS = 7
CONTROLLERS = ("lean", "robosuite")


class TaskScene(ManipulationEnv):
    """robosuite scene for one TaskSpec (Panda, OSC_POSE delta control, 20 Hz).

    ``controller``: ``"lean"`` (default) computes the OSC torques with
    :class:`~robolearn.sim.control.LeanOSC`; ``"robosuite"`` calls ``robot.control`` each
    substep. Both give the same torques (tests/sim/test_control.py).
    """

    def __init__(
        self,
        spec: TaskSpec,
        control_freq: int = 20,
        controller: Literal["lean", "robosuite"] = "lean",
        **kwargs: Any,
    ) -> None:
        if controller not in CONTROLLERS:
            raise ConfigError(f"unknown controller {controller!r}; choose from {CONTROLLERS}")
        self.controller = controller
        self.lean: LeanOSC | None = None
        self.spec = spec
        self.table_full_size = (0.8, 0.8, 0.05)
        self.table_offset = np.array((0.0, 0.0, TABLE_Z))
        self._pending_init: InitState | None = None
        super().__init__(
            robots="Panda",
            gripper_types="default",
            initialization_noise=None,
            use_camera_obs=False,
            has_renderer=False,
            has_offscreen_renderer=False,
            control_freq=control_freq,
            horizon=spec.horizon,
            ignore_done=True,
            hard_reset=False,
            lite_physics=True,
            **kwargs,
        )

    # -- model ----------------------------------------------------------------------------
    def _load_model(self) -> None:
        super()._load_model()
        robot = self.robots[0]
        robot.robot_model.set_base_xpos(robot.robot_model.base_xpos_offset["table"](0.8))
        arena = TableArena(table_full_size=self.table_full_size, table_offset=self.table_offset)
        arena.set_origin([0, 0, 0])
        arena.set_camera("topdown", TOPDOWN_POS, TOPDOWN_QUAT)
        self.task_objects = {
            o.name: make_object(o.name, o.type, o.color, o.scale) for o in self.spec.objects
        }
        self.task_fixtures = {}
        for fix in self.spec.fixtures:
            model = make_fixture(fix.name, fix.type)
            model.get_obj().set("pos", f"{fix.pos[0]} {fix.pos[1]} {TABLE_Z}")
            model.get_obj().set("quat", f"{np.cos(fix.yaw / 2)} 0 0 {np.sin(fix.yaw / 2)}")
            self.task_fixtures[fix.name] = model
        self.model = ManipulationTask(
            mujoco_arena=arena,
            mujoco_robots=[robot.robot_model],
            mujoco_objects=[*self.task_fixtures.values(), *self.task_objects.values()],
        )

    def _setup_references(self) -> None:
        super()._setup_references()
        m = self.sim.model
        self.object_body = {n: m.body_name2id(o.root_body) for n, o in self.task_objects.items()}
        self.object_qpos = {
            n: self.sim.model.get_joint_qpos_addr(o.joints[0]) for n, o in self.task_objects.items()
        }
        self.joint_info: dict[str, tuple[int, float, float]] = {}
        for fix in self.spec.fixtures:
            for art in FIXTURES.get(fix.type).articulations:
                jid = m.joint_name2id(f"{fix.name}_{art.joint}")
                self.joint_info[f"{fix.name}.{art.name}"] = (int(m.jnt_qposadr[jid]), *art.range)
        # fixture_rel_pos layout: per fixture (spec order) its root body, then the handle site
        # of each of its articulations
        self.fixture_points: list[tuple[str, int]] = []
        for fix in self.spec.fixtures:
            self.fixture_points.append(
                ("body", m.body_name2id(self.task_fixtures[fix.name].root_body))
            )
            for art in FIXTURES.get(fix.type).articulations:
                self.fixture_points.append(
                    ("site", m.site_name2id(prefixed(fix.name, art.handle_site)))
                )
        robot = self.robots[0]
        self.arm_qpos_idx = np.array(robot._ref_joint_pos_indexes[:ARM_JOINTS])
        self.gripper_qpos_idx = np.array(robot._ref_gripper_joint_pos_indexes["right"])
        self.eef_site = robot.eef_site_id["right"]
        data = self.sim.data._data
        if self.controller == "lean" and (self.lean is None or self.lean.data is not data):
            self.lean = LeanOSC(robot, self.sim.model._model, data)

    def _setup_observables(self) -> OrderedDict:
        return OrderedDict()  # the gymnasium env reads observations itself, once per step

    # -- episodes ---------------------------------------------------------------------------
    def set_init(self, init: InitState) -> None:
        """The InitState the next reset applies."""
        self._pending_init = init

    def _reset_internal(self) -> None:
        init = self._pending_init
        robot = self.robots[0]
        if not hasattr(self, "_base_init_qpos"):
            self._base_init_qpos = np.array(robot.init_qpos, dtype=float)
        noise = np.zeros(ARM_JOINTS)
        if init is not None and init.robot_noise:
            noise = np.asarray(init.robot_noise[:ARM_JOINTS], dtype=float)
        robot.init_qpos = self._base_init_qpos + noise  # robot.reset() applies it
        super()._reset_internal()
        if init is None:
            return
        data = self.sim.data
        for name, pose in init.objects.items():
            addr = self.object_qpos[name]
            data.qpos[addr[0] : addr[1]] = pose
        for key, frac in init.joints.items():
            addr, lo, hi = self.joint_info[key]
            data.qpos[addr] = lo + frac * (hi - lo)
        data.qvel[:] = 0.0
        self.sim.forward()

    def advance(self, action: np.ndarray) -> None:
        """One control step (``control_timestep``) of physics + OSC control, nothing else."""
        if self.lean is not None:
            self.lean.advance(action, self.n_substeps)
        else:
            policy_step = True
            robot = self.robots[0]
            for _ in range(self.n_substeps):
                self.sim.step1()
                robot.control(action, policy_step=policy_step)
                self.sim.step2()
                policy_step = False
        # step2 integrates positions but leaves kinematics one substep stale: refresh poses
        # (bodies, sites, cameras) so observations and predicates see the current state.
        mujoco.mj_kinematics(self.sim.model._model, self.sim.data._data)
        self.timestep += 1
        self.cur_time += self.control_timestep

    @property
    def n_substeps(self) -> int:
        return round(self.control_timestep / self.model_timestep)

    # -- state --------------------------------------------------------------------------------
    def object_poses(self) -> dict[str, np.ndarray]:
        data = self.sim.data
        return {
            n: np.concatenate([data.body_xpos[b], data.body_xquat[b]])
            for n, b in self.object_body.items()
        }

    def fixture_points_pos(self) -> np.ndarray:
        """World positions (n, 3) of the fixture points (see ``fixture_points``)."""
        data = self.sim.data
        out = np.zeros((len(self.fixture_points), 3))
        for i, (kind, idx) in enumerate(self.fixture_points):
            out[i] = data.body_xpos[idx] if kind == "body" else data.site_xpos[idx]
        return out

    def joint_fractions(self) -> dict[str, float]:
        qpos = self.sim.data.qpos
        out = {}
        for key, (addr, lo, hi) in self.joint_info.items():
            out[key] = float(np.clip((qpos[addr] - lo) / (hi - lo), 0.0, 1.0))
        return out

    def reward(self, action: Any = None) -> float:  # robosuite API; the gym env decides
        return 0.0

    def _check_success(self) -> bool:
        return False

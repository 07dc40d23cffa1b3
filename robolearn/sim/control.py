"""A lean re-implementation of robosuite's default Panda control (OSC_POSE delta + gripper).

robosuite's ``robot.control`` costs ~170 µs per physics substep, mostly Python glue (six
``mj_jacSite`` calls, ``mj_fullM`` into fresh arrays, an inverse and three pseudo-inverses, the
gripper controller rerun every substep). :class:`LeanOSC` computes the same torques in ~5 µs
from one ``mj_jacSite`` and one ``mj_fullM`` into preallocated buffers and a numba kernel,
setting the gripper ctrl once per control step. It reads every parameter from robosuite's
controllers at runtime and writes its goals back to them, so the two can be swapped
mid-episode; tests/sim/test_control.py checks that they produce the same torques.

What it reproduces, per substep (after ``mj_step1``; robosuite 1.5.2, ``osc.py``):

* a policy step sets the goal from the *achieved* pose in the base frame, ``goal_pos =
  R_b^T (p_eef - p_b) + dpos``, ``goal_ori = quat2mat(axisangle2quat(drot)) R_b^T R_eef``,
  the 6-D action clipped to the input range and scaled to the output range;
* ``F = kp (goal_pos - p_eef) - kd v_eef``, ``T = kp e_ori - kd w_eef``, ``e_ori = 0.5 sum_i
  r_i x rd_i``, decoupled by the position and orientation blocks of ``J M^-1 J^T`` (or the
  whole, without ``uncouple_pos_ori``);
* ``tau = J^T wrench + qfrc_bias + N^T M (10 (q0 - q) - 2 sqrt(10) qdot)``, ``N = I - M^-1 J^T
  Lambda J``, computed as ``M u - J^T Lambda J u``, clipped to the actuator ctrlrange;
* the gripper action goes through the gripper model's ``format_action`` (the Panda's ramps
  ``current_action`` by 0.2 per control step) and ``SimpleGripController``'s range mapping.

Solves use Cholesky factors instead of robosuite's ``inv``/``pinv``; where one is not
positive definite (a singular pose) the kernel falls back to robosuite's formulas. robosuite
reuses the state it read when a controller was built (each reset) until its first
``run_controller``; :meth:`LeanOSC.control` hands that one substep to ``robot.control``.
robosuite's history buffers (``recent_qpos``, ``recent_ee_*``) are not updated by the lean
path; robolearn reads state from MuJoCo directly.
"""

from __future__ import annotations

import math
from typing import Any

import mujoco
import numba
import numpy as np

from robolearn.errors import SimulationError

NULLSPACE_KP = 10.0  # robosuite.utils.control_utils.nullspace_torques defaults
NULLSPACE_KV = 2.0 * math.sqrt(NULLSPACE_KP)
Arrays = tuple  # (mass_full, jac_full, qpos, qvel, qfrc_bias, site_xpos, site_xmat, ctrl)


# -- numba kernels -------------------------------------------------------------------------
@numba.njit(cache=True)
def _cholesky(a: np.ndarray) -> bool:  # pragma: no cover - compiled
    """In-place lower Cholesky factor of the symmetric matrix ``a``; False if not PD."""
    n = a.shape[0]
    for j in range(n):
        s = a[j, j]
        for k in range(j):
            s -= a[j, k] * a[j, k]
        if not s > 0.0:
            return False
        d = math.sqrt(s)
        a[j, j] = d
        for i in range(j + 1, n):
            t = a[i, j]
            for k in range(j):
                t -= a[i, k] * a[j, k]
            a[i, j] = t / d
    return True


@numba.njit(cache=True)
def _cho_solve(low: np.ndarray, b: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """Solve ``(L L^T) x = b`` for a lower Cholesky factor ``L``."""
    n = b.shape[0]
    y = np.empty(n)
    for i in range(n):
        s = b[i]
        for k in range(i):
            s -= low[i, k] * y[k]
        y[i] = s / low[i, i]
    for i in range(n - 1, -1, -1):
        s = y[i]
        for k in range(i + 1, n):
            s -= low[k, i] * y[k]
        y[i] = s / low[i, i]
    return y


@numba.njit(cache=True)
def _task_terms(
    arrays: Arrays, index: np.ndarray, gains: np.ndarray, goal: np.ndarray, site: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Arm mass matrix, arm jacobian, desired wrench and nullspace posture command ``u``."""
    mass_full, jac_full, qpos, qvel, _, site_xpos, site_xmat, _ = arrays
    dof, qadr = index[0], index[1]
    n, nv = dof.shape[0], qvel.shape[0]
    kp, kd, q0 = gains[0:6], gains[6:12], gains[12 : 12 + n]
    # end-effector twist, from the full jacobian as robosuite's get_site_xvelp/xvelr do
    wrench = np.empty(6)
    for r in range(6):
        v = 0.0
        for k in range(nv):
            v += jac_full[r, k] * qvel[k]
        wrench[r] = -v  # velocity error; the base is welded to the world
    err = np.zeros(3)
    for i in range(3):  # orientation error 0.5 * sum_i cross(current[:, i], desired[:, i])
        c0, c1, c2 = site_xmat[site, i], site_xmat[site, 3 + i], site_xmat[site, 6 + i]
        d0, d1, d2 = goal[3 + i], goal[6 + i], goal[9 + i]
        err[0] += c1 * d2 - c2 * d1
        err[1] += c2 * d0 - c0 * d2
        err[2] += c0 * d1 - c1 * d0
    for r in range(3):
        wrench[r] = kp[r] * (goal[r] - site_xpos[site, r]) + kd[r] * wrench[r]
        wrench[3 + r] = kp[3 + r] * (0.5 * err[r]) + kd[3 + r] * wrench[3 + r]
    mass = np.empty((n, n))
    jac = np.empty((6, n))
    u = np.empty(n)
    for i in range(n):
        for j in range(n):
            mass[i, j] = mass_full[dof[i], dof[j]]
        for r in range(6):
            jac[r, i] = jac_full[r, dof[i]]
        u[i] = NULLSPACE_KP * (q0[i] - qpos[qadr[i]]) - NULLSPACE_KV * qvel[dof[i]]
    return mass, jac, wrench, u


@numba.njit(cache=True)
def _write_ctrl(
    tau: np.ndarray, arrays: Arrays, index: np.ndarray, gains: np.ndarray
) -> None:  # pragma: no cover - compiled
    """``ctrl[arm actuators] = clip(tau + qfrc_bias, ctrlrange)``."""
    qfrc_bias, ctrl = arrays[4], arrays[7]
    dof, act = index[0], index[2]
    n = dof.shape[0]
    for i in range(n):
        t = tau[i] + qfrc_bias[dof[i]]
        ctrl[act[i]] = min(max(t, gains[12 + n + i]), gains[12 + 2 * n + i])


@numba.njit(cache=True)
def osc_torques(
    arrays: Arrays,
    index: np.ndarray,
    gains: np.ndarray,
    goal: np.ndarray,
    site: int,
    uncouple: bool,
) -> bool:  # pragma: no cover - compiled
    """One substep of OSC_POSE: write the clipped arm torques into ``ctrl``.

    ``arrays`` is ``(mass_full, jac_full, qpos, qvel, qfrc_bias, site_xpos, site_xmat, ctrl)``:
    the nv x nv mass matrix from ``mj_fullM``, the 6 x nv site jacobian from ``mj_jacSite``
    (rows: position, rotation) and MjData's arrays; ``index`` rows are the arm's dof, qpos and
    actuator ids; ``gains`` is ``kp[6], kd[6], q0[n], ctrl_lo[n], ctrl_hi[n]``; ``goal`` is
    the world goal position (3) followed by the row-major world goal rotation (9).

    Solves with Cholesky factors: ``tau = J^T (dec - Lambda J u) + M u``, which equals
    robosuite's ``J^T dec + N^T M u``. Returns False, writing nothing, where a factor is not
    positive definite (a singular pose); :func:`osc_torques_reference` handles those.
    """
    mass, jac, wrench, u = _task_terms(arrays, index, gains, goal, site)
    n = mass.shape[0]
    low = mass.copy()
    if not _cholesky(low):
        return False
    x = np.empty((n, 6))  # L^-1 J^T
    for c in range(6):
        for i in range(n):
            s = jac[c, i]
            for k in range(i):
                s -= low[i, k] * x[k, c]
            x[i, c] = s / low[i, i]
    lam_inv = x.T @ x  # J M^-1 J^T
    full = lam_inv.copy()
    if not _cholesky(full):
        return False
    if uncouple:
        pos = lam_inv[:3, :3].copy()
        ori = lam_inv[3:, 3:].copy()
        if not (_cholesky(pos) and _cholesky(ori)):
            return False
        dec = np.concatenate((_cho_solve(pos, wrench[:3]), _cho_solve(ori, wrench[3:])))
    else:
        dec = _cho_solve(full, wrench)
    lam_ju = _cho_solve(full, jac @ u)  # Lambda J u
    _write_ctrl(jac.T @ (dec - lam_ju) + mass @ u, arrays, index, gains)
    return True


@numba.njit(cache=True)
def osc_torques_reference(
    arrays: Arrays,
    index: np.ndarray,
    gains: np.ndarray,
    goal: np.ndarray,
    site: int,
    uncouple: bool,
) -> bool:  # pragma: no cover - compiled
    """:func:`osc_torques` with robosuite's own ``inv``/``pinv`` formulas (any pose)."""
    mass, jac, wrench, u = _task_terms(arrays, index, gains, goal, site)
    minv = np.linalg.inv(mass)
    lam_full = np.linalg.pinv(jac @ minv @ jac.T)
    if uncouple:
        lam_pos = np.linalg.pinv(jac[:3] @ minv @ jac[:3].T)
        lam_ori = np.linalg.pinv(jac[3:] @ minv @ jac[3:].T)
        dec = np.concatenate((lam_pos @ wrench[:3], lam_ori @ wrench[3:]))
    else:
        dec = lam_full @ wrench
    jbar = minv @ jac.T @ lam_full
    null = np.eye(mass.shape[0]) - jbar @ jac
    _write_ctrl(jac.T @ dec + null.T @ (mass @ u), arrays, index, gains)
    return True


# -- the controller --------------------------------------------------------------------------
class LeanOSC:
    """Drop-in for ``robot.control`` of a fixed-base, single-arm robot (robosuite's default
    BASIC composite controller: OSC_POSE delta in the base frame + GRIP gripper).

    Bound to one MuJoCo model/data pair; rereads its parameters from robosuite whenever the
    robot's controllers are rebuilt (every reset).
    """

    def __init__(self, robot: Any, model: mujoco.MjModel, data: mujoco.MjData) -> None:
        self.robot, self.model, self.data = robot, model, data
        nv = model.nv
        self._mass = np.zeros((nv, nv))
        self._jac = np.zeros((6, nv))
        self._jacp, self._jacr = self._jac[:3], self._jac[3:]
        self._goal = np.zeros(12)
        # views into MjData (its buffers never move)
        self._qm, self._ctrl = data.qM, data.ctrl
        self._xpos, self._xmat = data.site_xpos, data.site_xmat
        self._arrays: tuple[np.ndarray, ...] = (self._mass, self._jac, data.qpos, data.qvel)
        self._arrays += (data.qfrc_bias,)
        self._arrays += (self._xpos, self._xmat, self._ctrl)
        self._arm: Any = None
        self.kernel = osc_torques  # osc_torques_reference: robosuite's inv/pinv formulas
        from robosuite.utils import transform_utils

        self._axisangle2quat = transform_utils.axisangle2quat
        self._quat2mat = transform_utils.quat2mat

    def _sync(self) -> None:
        """Read gains, ranges, indices and the nullspace posture from robosuite's controllers."""
        robot, model = self.robot, self.model
        composite = robot.composite_controller
        arms = list(robot.arms)
        if len(arms) != 1 or type(composite).__name__ != "CompositeController":
            raise SimulationError(_unsupported("a single arm and the BASIC composite controller"))
        arm_name = arms[0]
        grip_name = robot.get_gripper_name(arm_name)
        arm = composite.part_controllers[arm_name]
        _check_arm(arm)
        split = composite._action_split_indexes
        self._arm_slice = slice(*split[arm_name])
        self._grip_slice = slice(*split[grip_name]) if grip_name in split else None
        arm_act = robot._ref_actuators_indexes_dict[arm_name]
        if not len(arm.qvel_index) == len(arm.qpos_index) == len(arm_act):
            raise SimulationError(_unsupported("one motor actuator per arm joint"))
        self._index = np.array([arm.qvel_index, arm.qpos_index, arm_act], dtype=np.int64)
        ctrlrange = model.actuator_ctrlrange
        self._gains = np.concatenate(
            [
                np.asarray(arm.kp, dtype=float),
                np.asarray(arm.kd, dtype=float),
                np.asarray(arm.initial_joint, dtype=float),
                ctrlrange[arm_act, 0],
                ctrlrange[arm_act, 1],
            ]
        )
        self._site = model.site(arm.ref_name).id
        center = model.site(f"{arm.naming_prefix}{arm.part_name}_center").id
        if model.body_weldid[model.site_bodyid[center]] != 0:
            raise SimulationError(_unsupported("a fixed base"))
        self._center = center
        self._uncouple = bool(arm.uncoupling)
        self._arm_range = _input_map(arm)
        self._grip = None
        if self._grip_slice is not None:
            grip = composite.part_controllers[grip_name]
            _check_gripper(grip)
            act = np.asarray(robot._ref_actuators_indexes_dict[grip_name], dtype=np.int64)
            span = np.stack([grip.actuator_min, grip.actuator_max], axis=-1)
            self._grip, self._grip_model = grip, composite.grippers[grip_name]
            self._grip_act, self._grip_range = act, _input_map(grip)
            self._grip_lo, self._grip_hi = ctrlrange[act, 0], ctrlrange[act, 1]
            self._grip_bias = 0.5 * (span[:, 1] + span[:, 0])
            self._grip_weight = 0.5 * (span[:, 1] - span[:, 0])
        self._arm = arm

    def advance(self, action: np.ndarray, n_substeps: int) -> None:
        """``n_substeps`` x (``mj_step1``, control, ``mj_step2``); the first is a policy step."""
        m, d = self.model, self.data
        step1, step2, substep = mujoco.mj_step1, mujoco.mj_step2, self.substep
        step1(m, d)
        self.control(action, policy_step=True)
        step2(m, d)
        for _ in range(n_substeps - 1):
            step1(m, d)
            substep()
            step2(m, d)

    def control(self, action: np.ndarray, policy_step: bool = False) -> None:
        """What ``robot.control(action, policy_step)`` writes into ``data.ctrl``."""
        if policy_step:
            arm = self.robot.composite_controller.part_controllers.get(self.robot.arms[0])
            if arm is not self._arm:
                self._sync()
            if not arm.new_update:
                # robosuite would reuse the state it cached when the controller was built
                self.robot.control(action, policy_step=True)
                self._world_goal(arm.goal_pos, arm.goal_ori)
                return
            self._set_goal(action)
        self.substep()

    def substep(self) -> None:
        """Arm torques for the current goal and state (after ``mj_step1``) into ``data.ctrl``."""
        m, d = self.model, self.data
        mujoco.mj_jacSite(m, d, self._jacp, self._jacr, self._site)
        mujoco.mj_fullM(m, self._mass, self._qm)
        args = (self._arrays, self._index, self._gains, self._goal, self._site, self._uncouple)
        if not (self.kernel is osc_torques and osc_torques(*args)):
            osc_torques_reference(*args)  # singular pose (or asked for): robosuite's formulas

    def _set_goal(self, action: np.ndarray) -> None:
        arm = self._arm
        delta = _scale_action(action[self._arm_slice], self._arm_range)
        xpos, xmat = self._xpos, self._xmat
        base_pos, base_rot = xpos[self._center], xmat[self._center].reshape(3, 3)
        inv_rot = base_rot.T
        eef_pos, eef_rot = xpos[self._site], xmat[self._site].reshape(3, 3)
        goal_pos = inv_rot.dot(eef_pos) - inv_rot.dot(base_pos) + delta[0:3]
        rot_error = self._quat2mat(self._axisangle2quat(delta[3:6]))  # robosuite's (float32)
        goal_ori = np.dot(rot_error, inv_rot.dot(eef_rot))
        arm.goal_pos, arm.goal_ori = goal_pos, goal_ori  # keep robosuite's controller in step
        self._world_goal(goal_pos, goal_ori)
        if self._grip is None:
            return
        grip_action = self._grip_model.format_action(action[self._grip_slice])  # the ramp
        goal = _scale_action(grip_action, self._grip_range)
        self._grip.goal_qvel = goal
        ctrl = self._grip_bias + self._grip_weight * goal
        self._ctrl[self._grip_act] = np.clip(ctrl, self._grip_lo, self._grip_hi)

    def _world_goal(self, goal_pos: np.ndarray, goal_ori: np.ndarray) -> None:
        """Store the base-frame goal in world coordinates for the kernel."""
        base_pos = self._xpos[self._center]
        base_rot = self._xmat[self._center].reshape(3, 3)
        self._goal[:3] = base_pos + np.dot(base_rot, goal_pos)
        self._goal[3:] = np.dot(base_rot, goal_ori).ravel()


def _input_map(ctrl: Any) -> tuple[np.ndarray, ...]:
    """robosuite's ``Controller.scale_action`` constants: input min/max, mid, scale, output mid."""
    scale = abs(ctrl.output_max - ctrl.output_min) / abs(ctrl.input_max - ctrl.input_min)
    in_mid = (ctrl.input_max + ctrl.input_min) / 2.0
    return ctrl.input_min, ctrl.input_max, in_mid, scale, (ctrl.output_max + ctrl.output_min) / 2.0


def _scale_action(action: np.ndarray, input_map: tuple[np.ndarray, ...]) -> np.ndarray:
    """Clip to the input range and map affinely onto the output range, as robosuite does."""
    lo, hi, in_mid, scale, out_mid = input_map
    scaled: np.ndarray = (np.clip(action, lo, hi) - in_mid) * scale + out_mid
    return scaled


def _unsupported(what: str) -> str:
    return (
        f"the lean controller needs {what}; build the scene with controller='robosuite' "
        "to run robosuite's own controllers"
    )


def _check_arm(arm: Any) -> None:
    """Refuse arm-controller settings the lean path does not reproduce."""
    expected = {
        "name": "OSC_POSE",
        "impedance_mode": "fixed",
        "input_type": "delta",
        "input_ref_frame": "base",
        "_goal_update_mode": "achieved",
        "num_ref_sites": 1,
    }
    for key, value in expected.items():
        if getattr(arm, key, None) != value:
            raise SimulationError(_unsupported(f"arm controller {key}={value!r}"))
    for key in ("interpolator_pos", "interpolator_ori", "position_limits", "orientation_limits"):
        if getattr(arm, key, None) is not None:
            raise SimulationError(_unsupported(f"arm controller {key}=None"))
    if not arm.lite_physics:
        raise SimulationError(_unsupported("lite_physics=True"))


def _check_gripper(grip: Any) -> None:
    """Refuse gripper-controller settings the lean path does not reproduce."""
    if type(grip).__name__ != "SimpleGripController":
        raise SimulationError(_unsupported("the GRIP (SimpleGripController) gripper"))
    if grip.interpolator is not None or not grip.use_action_scaling:
        raise SimulationError(_unsupported("a gripper without interpolator, with scaling"))

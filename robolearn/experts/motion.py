"""Low-level motion for the scripted experts: gripper frames, seeded style, a P controller.

The env's arm controller is robosuite's OSC_POSE in delta mode with the base frame as the
reference (the Panda's base is not rotated, so base axes are world axes): ``action[0:3]``
in [-1, 1] moves the goal up to ``POS_SCALE`` metres from the *achieved* position,
``action[3:6]`` is an axis-angle rotation of up to ``ROT_SCALE`` radians (world frame) and
``action[6]`` drives the gripper (+1 closes). :class:`Controller` turns a world-frame
waypoint (position, finger-closing yaw, tilt) into such an action.

Gripper frame (the ``grip_site``): x is the direction the fingers close along, z points out
of the fingertips. :func:`gripper_rot` builds the frame that points straight down with the
fingers closing along yaw ``psi``, optionally tilted about the closing axis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

POS_SCALE = 0.05  # metres per unit action (controller output_max)
ROT_SCALE = 0.5  # radians per unit action
NEUTRAL_PSI = math.pi / 2  # the Panda's home pose closes its fingers along world y
PSI_RANGE = (-0.35, 5.0)  # closing yaws the wrist reaches continuously from home (joint 7)
LAY_POINTING = ((math.radians(30), math.radians(90)), (math.radians(270), math.radians(330)))
GRIP_OPEN, GRIP_CLOSE = -1.0, 1.0


def wrap(angle: float) -> float:
    """``angle`` wrapped to (-pi, pi]."""
    return float(math.atan2(math.sin(angle), math.cos(angle)))


def fold_psi(psi: float, ref: float = NEUTRAL_PSI) -> float:
    """The closing yaw equivalent to ``psi`` (the gripper is symmetric under pi) nearest ``ref``."""
    return ref + wrap(2.0 * (psi - ref)) / 2.0


def wrist_psi(psi: float, current: float) -> float:
    """The closing yaw equivalent to ``psi`` (mod pi) the wrist reaches nearest ``current``."""
    best = None
    for k in range(-3, 4):
        cand = psi + k * math.pi
        if PSI_RANGE[0] <= cand <= PSI_RANGE[1] and (
            best is None or abs(cand - current) < abs(best - current)
        ):
            best = cand
    return fold_psi(psi) if best is None else best


def lay_frame(axis: float | None) -> tuple[float, float]:
    """Closing yaw and tilt sign that lay a held object along ``axis`` (mod pi).

    Tilting about the closing axis swings the fingertips (and the object's long axis) into
    the horizontal direction ``beta``; the Panda's wrist does that reliably only for
    ``beta`` in :data:`LAY_POINTING` (sideways-forward), so ``beta`` is the direction
    nearest ``axis`` (or its opposite) inside those ranges. ``axis`` None: any direction.
    """
    want = math.radians(60) if axis is None else axis
    best: tuple[float, float, int] | None = None
    for cand in (want, want + math.pi):
        cand %= 2 * math.pi
        for k, (lo, hi) in enumerate(LAY_POINTING):
            beta = min(max(cand, lo), hi)
            miss = abs(beta - cand)
            if best is None or miss < best[1]:
                best = (beta, miss, k)
    assert best is not None
    beta, _, k = best
    if k == 0:  # fingertips to beta = psi - pi/2 with a negative tilt
        return beta + math.pi / 2, -1.0
    return beta - math.pi / 2, 1.0  # fingertips to beta = psi + pi/2 with a positive tilt


def axis_rot(axis: np.ndarray, angle: float) -> np.ndarray:
    """Rotation matrix of ``angle`` about the unit vector ``axis`` (Rodrigues)."""
    x, y, z = np.asarray(axis, float) / np.linalg.norm(axis)
    k = np.array([[0.0, -z, y], [z, 0.0, -x], [-y, x, 0.0]])
    return np.eye(3) + math.sin(angle) * k + (1.0 - math.cos(angle)) * (k @ k)


def gripper_rot(psi: float, tilt: float = 0.0) -> np.ndarray:
    """Gripper frame pointing down, closing along yaw ``psi``, tilted ``tilt`` about that axis.

    A positive tilt swings the fingertips towards ``z_world x closing`` (for the neutral
    ``psi`` = pi/2 that is world -x, towards the robot); use a negative tilt to point the
    fingers away from the robot.
    """
    c, s = math.cos(psi), math.sin(psi)
    down = np.array([[c, s, 0.0], [s, -c, 0.0], [0.0, 0.0, -1.0]])  # columns: x, y, z axes
    if tilt == 0.0:
        return down
    return axis_rot(np.array([c, s, 0.0]), tilt) @ down


def rot_error(r_des: np.ndarray, r_cur: np.ndarray) -> np.ndarray:
    """World-frame rotation vector that turns ``r_cur`` into ``r_des``."""
    r = r_des @ r_cur.T
    cos = float(np.clip((np.trace(r) - 1.0) / 2.0, -1.0, 1.0))
    angle = math.acos(cos)
    vec = np.array([r[2, 1] - r[1, 2], r[0, 2] - r[2, 0], r[1, 0] - r[0, 1]])
    if angle < 1e-6:
        return np.zeros(3)
    if math.pi - angle < 1e-3:  # near pi the antisymmetric part vanishes: use the diagonal
        axis = np.sqrt(np.clip((np.diag(r) + 1.0) / 2.0, 0.0, None))
        return axis * angle
    return vec / (2.0 * math.sin(angle)) * angle


def yaw_of(rot: np.ndarray) -> float:
    """Yaw of a body frame's x axis in the world xy plane."""
    return float(math.atan2(rot[1, 0], rot[0, 0]))


@dataclass(frozen=True)
class Style:
    """Per-episode variation of a demonstration, drawn from the expert's Generator.

    It changes how the expert moves (speed, heights, offsets, small noise) but never what it
    does, so every style solves the task.
    """

    gain: float = 1.0  # proportional gain multiplier (speed)
    max_speed: float = 0.9  # cap on the position action's norm during transit
    approach_height: float = 0.1  # pre-grasp height above the grasp point (m)
    lift_height: float = 0.12  # lift above the grasp height after grasping (m)
    release_height: float = 0.012  # drop height of a placed object above its support (m)
    grasp_wait: int = 8  # control steps the gripper closes before lifting
    noise: float = 0.0  # std of Gaussian noise on the position action during transit
    offset_scale: float = 0.0  # std (m) of small waypoint offsets in transit

    @classmethod
    def sample(cls, rng: np.random.Generator) -> Style:
        return cls(
            gain=float(rng.uniform(0.8, 1.25)),
            max_speed=float(rng.uniform(0.75, 1.0)),
            approach_height=float(rng.uniform(0.07, 0.12)),
            lift_height=float(rng.uniform(0.1, 0.15)),
            release_height=float(rng.uniform(0.008, 0.016)),
            grasp_wait=int(rng.integers(7, 11)),
            noise=float(rng.uniform(0.02, 0.06)),
            offset_scale=float(rng.uniform(0.005, 0.015)),
        )


class Controller:
    """Proportional control of the grip site towards world-frame waypoints."""

    def __init__(self, style: Style, rng: np.random.Generator) -> None:
        self.style = style
        self.rng = rng

    def action(
        self,
        eef_pos: np.ndarray,
        eef_rot: np.ndarray,
        target: np.ndarray,
        rot: np.ndarray,
        grip: float,
        speed: float = 1.0,
        noisy: bool = False,
    ) -> np.ndarray:
        """Action moving the grip site to ``target`` with orientation ``rot``.

        ``speed`` caps the norm of the position part (1 = up to ``POS_SCALE`` per step);
        ``noisy`` adds the style's action noise (transit moves only).
        """
        style = self.style
        dpos = (np.asarray(target, float) - eef_pos) / POS_SCALE * style.gain
        cap = min(speed, style.max_speed) if noisy else speed
        norm = float(np.linalg.norm(dpos))
        if norm > cap and dpos[2] > 0.0:
            # Climbing first: scaling the upward part down with a long horizontal move lets
            # the hand sag into what it should clear.
            dpos[2] = min(float(dpos[2]), cap)
            flat = float(np.linalg.norm(dpos[:2]))
            room = math.sqrt(max(cap**2 - dpos[2] ** 2, 0.0))
            if flat > room:
                dpos[:2] *= room / flat
        elif norm > cap:
            dpos *= cap / norm
        if noisy and style.noise > 0:
            dpos = dpos + self.rng.normal(0.0, style.noise, 3)
        drot = rot_error(rot, eef_rot) / ROT_SCALE * 1.5
        rnorm = float(np.linalg.norm(drot))
        if rnorm > 1.0:
            drot /= rnorm
        act = np.concatenate([dpos, drot, [grip]])
        return np.clip(act, -1.0, 1.0)

    def jitter(self, scale: float = 1.0) -> np.ndarray:
        """A small random horizontal waypoint offset (transit waypoints only)."""
        off = self.rng.normal(0.0, self.style.offset_scale * scale, 3)
        off[2] = abs(off[2])
        return off

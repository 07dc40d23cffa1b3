"""robot_detail="lite": cheaper robot drawing, same scene elsewhere, same physics (marker `sim`)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from robolearn.envs.env import RobolearnEnv
from robolearn.envs.observations import (
    FULL_ROBOT_GROUP,
    LITE_ROBOT_GROUP,
    CameraRig,
    ObsConfig,
    split_robot_detail,
)
from robolearn.errors import ConfigError
from robolearn.tasks.suites import get_suite

pytestmark = pytest.mark.sim
ROBOT = 2  # segmentation label of the robot
CAMS = ("agentview", "wrist")
OBS = {"cameras": CAMS, "image_size": 96, "segmentation": True, "object_state": True}
PHYSICS_FIELDS = (
    "geom_contype",
    "geom_conaffinity",
    "geom_type",
    "geom_size",
    "geom_dataid",
    "geom_friction",
    "geom_margin",
    "geom_gap",
    "geom_condim",
    "geom_priority",
    "geom_solref",
    "geom_solimp",
    "body_mass",
    "body_inertia",
)


@pytest.fixture(scope="module")
def rollouts() -> Iterator[dict[str, tuple[RobolearnEnv, list[dict[str, np.ndarray]]]]]:
    """A full-detail and a lite env, reset alike and stepped with the same actions."""
    task = get_suite("spatial").tasks[0]
    actions = np.random.default_rng(0).uniform(-1, 1, (6, 7))
    out = {}
    for detail in ("full", "lite"):
        env = RobolearnEnv(task, obs={**OBS, "robot_detail": detail})
        obs = [env.reset(seed=2)[0]]
        obs += [env.step(a)[0] for a in actions]
        out[detail] = (env, obs)
    yield out
    for env, _ in out.values():
        env.close()


def dilate(mask: np.ndarray, steps: int = 2) -> np.ndarray:
    out = mask.copy()
    for _ in range(steps):
        grown = out.copy()
        grown[1:] |= out[:-1]
        grown[:-1] |= out[1:]
        grown[:, 1:] |= out[:, :-1]
        grown[:, :-1] |= out[:, 1:]
        out = grown
    return out


def test_physics_is_identical(rollouts) -> None:
    (full, _), (lite, _) = rollouts["full"], rollouts["lite"]
    np.testing.assert_array_equal(lite.get_state(), full.get_state())
    for name in PHYSICS_FIELDS:
        np.testing.assert_array_equal(getattr(lite._model, name), getattr(full._model, name))
    assert not np.array_equal(lite._model.geom_group, full._model.geom_group)


@pytest.mark.parametrize("cam", CAMS)
def test_lite_frames_differ_only_around_the_robot(rollouts, cam: str) -> None:
    changed = 0
    for obs_full, obs_lite in zip(rollouts["full"][1], rollouts["lite"][1], strict=True):
        seg_full, seg_lite = obs_full[f"{cam}_seg"][..., 0], obs_lite[f"{cam}_seg"][..., 0]
        robot_full, robot_lite = seg_full == ROBOT, seg_lite == ROBOT
        # the robot is drawn in the same place, a little coarser
        assert robot_full.sum() > 20 and robot_lite.sum() > 20
        iou = (robot_full & robot_lite).sum() / (robot_full | robot_lite).sum()
        assert iou > 0.8, iou
        scene = ~dilate(robot_full | robot_lite)
        np.testing.assert_array_equal(seg_lite[scene], seg_full[scene])
        rgb_full = obs_full[f"{cam}_rgb"].astype(np.int16)
        rgb_lite = obs_lite[f"{cam}_rgb"].astype(np.int16)
        diff = np.abs(rgb_lite - rgb_full).max(axis=-1)
        assert diff[scene].max() <= 8 and diff[scene].mean() < 0.05, diff[scene].max()
        changed += int((diff[~scene] > 8).sum())
    assert changed > 50  # the robot itself is drawn differently


def test_detail_option_resolves_and_validates(rollouts) -> None:
    assert ObsConfig().robot_detail == "auto"
    with pytest.raises(ConfigError, match="robot_detail"):
        ObsConfig(robot_detail="medium")
    assert rollouts["lite"][0].rig.robot_detail == "lite"
    assert rollouts["full"][0].rig.robot_detail == "full"
    model = rollouts["full"][0]._model  # never split: a full rig leaves the model alone
    assert not np.isin(model.geom_group, (FULL_ROBOT_GROUP, LITE_ROBOT_GROUP)).any()
    assert CameraRig(model, fast=False).robot_detail == "full"
    lite_model = rollouts["lite"][0]._model
    assert CameraRig(lite_model, fast=True).robot_detail == "lite"
    assert split_robot_detail(lite_model) == 0  # idempotent
    assert (lite_model.geom_group == LITE_ROBOT_GROUP).sum() >= 8

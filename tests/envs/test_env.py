"""The Env contract, looped over every registered task (marker `sim`)."""

import gymnasium as gym
import numpy as np
import pytest

from robolearn.envs import gym_id, make_env, make_suite, make_vector_env
from robolearn.envs.env import RobolearnEnv
from robolearn.errors import RobolearnError
from robolearn.tasks.suites import BASE_SUITES, EVAL_SUITES, get_suite

pytestmark = pytest.mark.sim
ALL_TASKS = [t for s in BASE_SUITES for t in get_suite(s).tasks]
LOW_DIM = {"cameras": (), "object_state": True}
CAMERAS = {
    "cameras": ("agentview", "wrist", "topdown"),
    "image_size": 64,
    "depth": True,
    "segmentation": True,
    "object_state": True,
}


def assert_obs_equal(a, b):
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


@pytest.mark.parametrize("task", ALL_TASKS, ids=lambda t: t.task_id)
def test_task_contract(task):
    env = RobolearnEnv(task, obs=LOW_DIM)
    try:
        first, info = env.reset(seed=3)
        assert not info["is_success"], "goal satisfied at reset"
        assert first["goal_status"].tolist() == [float(g) for g in info["goal_status"]]
        assert len(info["goal_status"]) == len(task.goal)
        again, _ = env.reset(seed=3)
        assert_obs_equal(first, again)
        other, _ = env.reset(seed=4)
        assert not np.array_equal(first["object_state"], other["object_state"])
        rng = np.random.default_rng(0)
        for _ in range(3):
            env.step(rng.uniform(-1, 1, 7))
        state = env.get_state()
        obs_before = env._observe()
        follow = [env.step(a)[0] for a in rng.uniform(-1, 1, (3, 7))]
        env.set_state(state)
        np.testing.assert_array_equal(env.get_state(), state)
        assert_obs_equal(env._observe(), obs_before)
        assert len(follow) == 3
    finally:
        env.close()


def test_set_state_replays_the_same_future():
    env = RobolearnEnv(get_suite("goal").tasks[0], obs=LOW_DIM)
    try:
        env.reset(seed=0)
        actions = np.random.default_rng(1).uniform(-1, 1, (5, 7))
        state = env.get_state()
        first = [env.step(a)[0]["object_state"] for a in actions]
        env.set_state(state)
        second = [env.step(a)[0]["object_state"] for a in actions]
        for a, b in zip(first, second, strict=True):
            np.testing.assert_array_equal(a, b)
    finally:
        env.close()


@pytest.mark.parametrize("suite", EVAL_SUITES)
def test_images_change_are_upright_and_env_checker_passes(suite):
    from gymnasium.utils.env_checker import check_env

    env = RobolearnEnv(get_suite(suite).tasks[0], obs=CAMERAS)
    try:
        obs, _ = env.reset(seed=0)
        for cam in ("agentview", "wrist", "topdown"):
            assert obs[f"{cam}_rgb"].shape == (64, 64, 3) and obs[f"{cam}_rgb"].std() > 5
            depth = obs[f"{cam}_depth"]
            assert depth.dtype == np.float32 and 0.01 < depth.min() < depth.max() < 10.0
        labels = set(np.unique(obs["agentview_seg"]))
        assert {1, 2} <= labels and len(labels & set(range(3, 20))) >= 2
        # agentview looks at the robot from the front: the table (bright) fills the bottom rows
        img = obs["agentview_rgb"].astype(float)
        assert img[-8:].mean() > img[:8].mean()
        before = {k: v.copy() for k, v in obs.items() if k.endswith("_rgb")}
        for _ in range(5):
            obs, *_ = env.step(np.array([0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]))
        for key, img in before.items():
            assert np.abs(obs[key].astype(int) - img).mean() > 0.5, f"{key} did not change"
        frame = env.render()
        assert frame.shape == (256, 256, 3) and frame.dtype == np.uint8
        params = env.camera_params("agentview")
        assert params["intrinsics"].shape == (3, 3) and params["extrinsics"].shape == (4, 4)
        check_env(env, skip_render_check=True)
    finally:
        env.close()


def test_fixed_initial_states_and_bad_index():
    env = RobolearnEnv(get_suite("spatial").tasks[0], obs=LOW_DIM)
    try:
        a, _ = env.reset(options={"init_state": 7})
        b, _ = env.reset(seed=123, options={"init_state": 7})
        np.testing.assert_array_equal(a["object_state"], b["object_state"])
        c, _ = env.reset(options={"init_state": 8})
        assert not np.array_equal(a["object_state"], c["object_state"])
        with pytest.raises(RobolearnError, match=r"out of range.*50 fixed initial states"):
            env.reset(options={"init_state": 50})
    finally:
        env.close()


@pytest.mark.parametrize(
    "action, match",
    [
        (np.full(7, np.nan), "NaN"),
        (np.array([0, 0, 0, 0, 0, 0, np.inf]), "NaN/inf"),
        (np.zeros(6), "shape"),
        (np.zeros((7, 1)), "shape"),
    ],
)
def test_invalid_actions_raise_value_error_before_mujoco(action, match):
    env = RobolearnEnv(get_suite("object").tasks[0], obs=LOW_DIM)
    try:
        env.reset(seed=0)
        state = env.get_state()
        with pytest.raises(ValueError, match=match):
            env.step(action)
        np.testing.assert_array_equal(env.get_state(), state)
    finally:
        env.close()


def test_gymnasium_make_and_time_limit():
    task = get_suite("goal").tasks[2]
    env = gym.make(gym_id(task.task_id), obs=LOW_DIM)
    try:
        assert env.spec.max_episode_steps == task.horizon
        obs, _ = env.reset(seed=0)
        assert "object_state" in obs
    finally:
        env.close()
    with pytest.raises(gym.error.Error):
        gym.make("robolearn-spatial/no-such-task-v1")


def test_make_suite_and_unknown_task():
    suite = make_suite("long@camera", obs=LOW_DIM)
    assert len(suite) == 10 and suite.tasks[0].camera_jitter != (0.0, 0.0)
    with pytest.raises(RobolearnError, match="did you mean"):
        make_env(suite.tasks[0].task_id.replace("@camera", "").replace("-v1", "x-v1"))


@pytest.mark.slow
def test_async_vector_env_renders_in_worker_processes():
    tasks = [get_suite("spatial").tasks[0].task_id, get_suite("goal").tasks[0].task_id]
    venv = make_vector_env(tasks, obs={"cameras": ("agentview",), "image_size": 48})
    try:
        obs, infos = venv.reset(seed=0)
        assert obs["agentview_rgb"].shape == (2, 48, 48, 3)
        first = obs["agentview_rgb"].copy()
        for _ in range(3):
            obs, rew, term, trunc, infos = venv.step(np.tile([0, 0, 1.0, 0, 0, 0, 1.0], (2, 1)))
        assert np.abs(obs["agentview_rgb"].astype(int) - first).mean() > 0.5
        assert not np.array_equal(obs["agentview_rgb"][0], obs["agentview_rgb"][1])
    finally:
        venv.close()


def test_goal_status_follows_the_stages_of_a_two_stage_task():
    from robolearn.experts import make_expert

    task = next(t for t in get_suite("long").tasks if "cube-in-bowl-mug-on-plate" in t.task_id)
    env = RobolearnEnv(task, obs=LOW_DIM)
    try:
        obs, _ = env.reset(options={"init_state": 0})
        expert = make_expert(env, np.random.default_rng(0))
        expert.reset()
        seen = [tuple(obs["goal_status"])]
        for _ in range(300):
            obs, _, done, _, info = env.step(expert.act())
            assert obs["goal_status"].tolist() == [float(g) for g in info["goal_status"]]
            if tuple(obs["goal_status"]) != seen[-1]:
                seen.append(tuple(obs["goal_status"]))
            if done:
                break
        # the cube goes into the bowl first, then the mug onto the plate
        assert seen == [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0)]
    finally:
        env.close()


def test_fixture_rel_pos_points_at_roots_and_handles():
    from robolearn.experts.view import SceneView
    from robolearn.tasks.catalogue import FIXTURES
    from robolearn.tasks.world import TABLE_Z

    task = next(t for t in get_suite("goal").tasks if "drawer" in t.task_id)
    env = RobolearnEnv(task, obs=LOW_DIM)
    try:
        obs, _ = env.reset(seed=0)
        rel = obs["fixture_rel_pos"].reshape(-1, 3)
        view = SceneView(env)
        expected = []  # per fixture: its root, then each articulation's handle
        for fix in task.fixtures:
            expected.append(np.array([fix.pos[0], fix.pos[1], TABLE_Z]))
            for art in FIXTURES.get(fix.type).articulations:
                expected.append(view.handle_pos(f"{fix.name}.{art.name}"))
        assert len(task.fixtures) == 3 and rel.shape == (6, 3)
        np.testing.assert_allclose(rel, np.array(expected) - obs["eef_pos"], atol=1e-5)
        moved, *_ = env.step(np.array([0.5, 0.0, 0.0, 0, 0, 0, -1.0]))
        shift = moved["eef_pos"] - obs["eef_pos"]
        assert np.linalg.norm(shift) > 1e-3
        np.testing.assert_allclose(moved["fixture_rel_pos"].reshape(-1, 3), rel - shift, atol=1e-4)
    finally:
        env.close()
    env = RobolearnEnv(get_suite("spatial").tasks[0], obs=LOW_DIM)
    try:
        obs, _ = env.reset(seed=0)
        assert obs["fixture_rel_pos"].shape == (0,)  # no fixtures in the spatial scenes
    finally:
        env.close()


@pytest.fixture(scope="module")
def turning_hand():
    """The block task's objects, its first observation, and one after the hand turned about
    the vertical for 5 steps (nothing else moved)."""
    task = next(t for t in get_suite("object").tasks if "block" in t.task_id)
    env = RobolearnEnv(task, obs=LOW_DIM)
    try:
        obs, _ = env.reset(seed=3)
        for _ in range(5):
            turned, *_ = env.step(np.array([0, 0, 0, 0, 0, 0.5, -1.0]))
    finally:
        env.close()
    return task.objects, obs, turned


def rotations(o: dict, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The gripper's rotation matrix and the first ``n`` objects' (n, 3, 3) from ``o``."""
    from scipy.spatial.transform import Rotation

    eef = Rotation.from_quat(o["eef_quat"], scalar_first=True).as_matrix()
    quats = o["object_state"][: 7 * n].reshape(n, 7)[:, 3:7]
    return eef, Rotation.from_quat(quats, scalar_first=True).as_matrix()


def test_object_rel_yaw_is_each_grasp_axis_off_the_gripper_modulo_its_symmetry(turning_hand):
    from robolearn.tasks.catalogue import OBJECTS

    objects, obs, turned = turning_hand
    n = len(objects)
    # block (order 2), cube (4), bread (2), ball (round: zeros), cereal (2), basket (rim: 1)
    orders = [OBJECTS.get(o.type).grasp_yaw_order for o in objects]
    assert orders == [2, 4, 2, 0, 2, 1]
    assert obs["object_rel_yaw"].shape == (2 * n,)

    def yaw(m: np.ndarray) -> float:
        return float(np.arctan2(m[1, 0], m[0, 0]))

    def expected(o: dict) -> np.ndarray:
        eef, objs = rotations(o, n)
        rows = []
        for spec, m, k in zip(objects, objs, orders, strict=True):
            grasp = OBJECTS.get(spec.type).grasp
            d = k * (yaw(m) + (grasp.yaw if grasp else 0.0) - yaw(eef))
            rows.append((np.cos(d), np.sin(d)) if k else (0.0, 0.0))
        return np.asarray(rows).reshape(-1)

    np.testing.assert_allclose(obs["object_rel_yaw"], expected(obs), atol=1e-4)
    np.testing.assert_allclose(turned["object_rel_yaw"], expected(turned), atol=1e-4)
    pairs = turned["object_rel_yaw"].reshape(n, 2)
    norms = np.linalg.norm(pairs, axis=1)
    np.testing.assert_allclose(norms, [0.0 if k == 0 else 1.0 for k in orders], atol=1e-5)
    before = np.arctan2(obs["object_rel_yaw"][1], obs["object_rel_yaw"][0])
    after = np.arctan2(pairs[0, 1], pairs[0, 0])  # the hand turned: the feature k times as far
    assert abs(np.angle(np.exp(1j * (after - before)))) > 0.1


def test_object_rel_rot_is_each_object_in_the_gripper_frame(turning_hand):
    from scipy.spatial.transform import Rotation

    objects, obs, turned = turning_hand
    n = len(objects)
    assert obs["object_rel_rot"].shape == (6 * n,)

    def expected(o: dict) -> np.ndarray:
        eef, objs = rotations(o, n)
        return np.stack([(eef.T @ m)[:, :2].T.reshape(-1) for m in objs]).reshape(-1)

    np.testing.assert_allclose(obs["object_rel_rot"], expected(obs), atol=1e-4)
    turn = (  # the hand turned about the vertical: the objects turn the other way
        Rotation.from_quat(turned["eef_quat"], scalar_first=True)
        * Rotation.from_quat(obs["eef_quat"], scalar_first=True).inv()
    )
    assert turn.magnitude() > 0.1
    np.testing.assert_allclose(turned["object_rel_rot"], expected(turned), atol=1e-4)
    first = turned["object_rel_rot"][:6].reshape(2, 3)  # two unit, orthogonal columns
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    assert abs(first[0] @ first[1]) < 1e-5
    assert np.abs(turned["object_rel_rot"] - obs["object_rel_rot"]).max() > 0.05

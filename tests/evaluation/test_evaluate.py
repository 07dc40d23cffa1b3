"""Vectorised evaluation: the expert as a policy reaches its success; videos; dead workers."""

from __future__ import annotations

import json
import re

import imageio.v3 as iio
import numpy as np
import pytest

from robolearn.data.collect import CollectSettings, collect_task, task_path
from robolearn.data.reader import DemoFile
from robolearn.errors import DataError
from robolearn.evaluation.config import EvalConfig
from robolearn.evaluation.evaluate import evaluate, obs_config_for
from robolearn.evaluation.inits import episode_starts
from robolearn.evaluation.result import EpisodeResult, EvalResult
from robolearn.evaluation.scripted import ExpertPolicy
from robolearn.evaluation.video import episode_frames, grid_frames, write_video
from robolearn.policies.base import PolicySpec
from robolearn.tasks.placement import InitState
from tests.evaluation import CRASH_TASK, ZeroPolicy, blind_factory, crashing_factory

LOW_DIM = PolicySpec({"eef_pos": (3,), "object_state": (42,)}, (), 7)
TASKS = ["object/cube-in-basket-v2", "goal/open-microwave-door-v1"]


@pytest.mark.sim
def test_the_expert_as_a_policy_reaches_its_success_and_videos_decode(tmp_path):
    cfg = EvalConfig(
        episodes_per_task=2, num_envs=3, workers=0, videos_per_task=1, video_size=64, grid_tile=48
    )
    result = evaluate(ExpertPolicy(LOW_DIM), TASKS, cfg, tmp_path)
    assert [e.task_id for e in result.episodes] == [t for t in TASKS for _ in range(2)]
    assert [e.init_state for e in result.episodes] == [0, 1, 0, 1]
    assert result.success == 1.0 and result.success_at_end == 1.0 and result.progress == 1.0
    assert all(e.error is None and all(e.goals_once) for e in result.episodes)
    for ep in result.episodes:
        assert (ep.video is not None) == (ep.episode == 0)
        if ep.video:
            frames = iio.imread(ep.video)
            assert frames.shape == (ep.steps + 1, 64, 64, 3)  # the reset frame + one per step
            assert np.abs(frames[-1].astype(int) - frames[0]).mean() > 1
    info = json.loads((tmp_path / "eval_info.json").read_text())
    assert info["summary"]["success"] == 1.0 and set(info["per_task"]) == set(TASKS)
    for suite in ("object", "goal"):
        grid = iio.imread(result.videos[suite])
        assert grid.shape[1:] == (48, 48, 3)


class _StartRecorder(ExpertPolicy):
    """The expert, noting the initial state of every env it is bound to."""

    def __init__(self, spec: PolicySpec) -> None:
        super().__init__(spec)
        self.starts: list[InitState] = []

    def bind(self, slot: int, env: object) -> None:
        self.starts.append(env.unwrapped.init_state)  # type: ignore[attr-defined]
        super().bind(slot, env)


@pytest.mark.sim
def test_episodes_start_from_the_demos_initial_states_with_init_demos(tmp_path):
    task = TASKS[0]
    settings = CollectSettings(demos_per_task=2, cameras=(), seed=3, valid_fraction=0.0)
    collect_task(task, tmp_path / "demos", settings)
    with DemoFile(task_path(tmp_path / "demos", task)) as demos:
        names = demos.mask("train")
        wanted = [InitState.from_dict(demos.init_state(n)) for n in names]
    cfg = EvalConfig(
        episodes_per_task=2, num_envs=1, workers=0, videos_per_task=0,
        init_demos=str(tmp_path / "demos"),
    )  # fmt: skip
    policy = _StartRecorder(LOW_DIM)
    result = evaluate(policy, [task], cfg, tmp_path / "eval")
    assert [e.init_state for e in result.episodes] == names
    assert policy.starts == wanted and wanted[0] != wanted[1]
    assert result.success == 1.0  # the expert solves from its own demos' states
    info = json.loads((tmp_path / "eval" / "eval_info.json").read_text())
    assert [e["init_state"] for e in info["episodes"]] == names  # the labels reach the JSON
    root = str(tmp_path / "demos")
    with pytest.raises(DataError, match=r"mask 'train' has 2 demos; demos 1\.\.2 were asked"):
        episode_starts([task], EvalConfig(episodes_per_task=2, init_offset=1, init_demos=root))
    with pytest.raises(DataError, match="has no mask 'test'"):
        episode_starts([task], EvalConfig(init_demos=root, init_split="test"))


def test_init_demos_errors_name_the_file_and_what_to_do(tmp_path):
    task = TASKS[0]
    with pytest.raises(
        DataError, match=r"no demo file .*cube-in-basket-v2\.hdf5.*robolearn collect"
    ):
        episode_starts([task], EvalConfig(episodes_per_task=1, init_demos=str(tmp_path)))
    path = task_path(tmp_path, task)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not hdf5")
    with pytest.raises(DataError, match=re.escape(str(path))):
        episode_starts([task], EvalConfig(episodes_per_task=1, init_demos=str(tmp_path)))


@pytest.mark.sim
def test_progress_counts_the_goal_atoms_of_an_unfinished_two_stage_task():
    # the expert puts the cube in the bowl by step 120 and the mug on the plate by step 200
    task = "long/cube-in-bowl-mug-on-plate-v1"
    cfg = EvalConfig(episodes_per_task=1, num_envs=1, workers=0, videos_per_task=0, max_steps=150)
    (ep,) = evaluate(ExpertPolicy(LOW_DIM), [task], cfg).episodes
    assert (ep.success_once, ep.progress, ep.goals_once) == (False, 0.5, [True, False])


@pytest.mark.sim
def test_a_dead_worker_fails_its_episodes_and_the_evaluation_goes_on():
    tasks = ["object/cube-in-basket-v2", CRASH_TASK]
    cfg = EvalConfig(
        episodes_per_task=2, num_envs=2, workers=2, max_steps=6, videos_per_task=0,
        worker_timeout_s=60,
    )  # fmt: skip
    spec = PolicySpec({"eef_pos": (3,)}, (), 7)
    result = evaluate(ZeroPolicy(spec), tasks, cfg, env_factory=crashing_factory)
    by_task = {t: [e for e in result.episodes if e.task_id == t] for t in tasks}
    assert len(result.episodes) == 4 and result.worker_restarts >= 2
    assert all(e.error is None and e.steps == 6 for e in by_task[tasks[0]])
    assert all("worker died" in e.error for e in by_task[CRASH_TASK])
    assert result.per_task()[CRASH_TASK]["errors"] == 2


@pytest.mark.sim
def test_a_failing_renderer_costs_the_video_not_the_episode(tmp_path):
    tasks = ["object/cube-in-basket-v2"]
    cfg = EvalConfig(episodes_per_task=2, num_envs=2, max_steps=5, videos_per_task=1)
    spec = PolicySpec({"eef_pos": (3,)}, (), 7)
    result = evaluate(ZeroPolicy(spec), tasks, cfg, out_dir=tmp_path, env_factory=blind_factory)
    assert [(e.error, e.steps, e.video) for e in result.episodes] == [(None, 5, None)] * 2
    assert result.per_task()[tasks[0]]["errors"] == 0
    assert not list(tmp_path.rglob("*.mp4"))


def test_obs_config_follows_the_policy_keys():
    spec = PolicySpec(
        {"agentview_rgb": (96, 96, 3), "wrist_depth": (96, 96, 1), "eef_pos": (3,)},
        ("agentview_rgb", "wrist_depth"),
        7,
    )
    cfg = obs_config_for(spec)
    assert cfg["cameras"] == ("agentview", "wrist") and cfg["image_size"] == 96
    assert cfg["rgb"] and cfg["depth"] and not cfg["object_state"]
    assert obs_config_for(LOW_DIM)["object_state"] and obs_config_for(LOW_DIM)["cameras"] == ()
    # relative positions alone (no absolute object_state) still need the state observations
    relative = PolicySpec({"eef_pos": (3,), "fixture_rel_pos": (18,)}, (), 7)
    assert obs_config_for(relative)["object_state"]


def test_results_aggregate_per_task_and_table():
    result = EvalResult(
        [
            EpisodeResult("a/x-v1", 0, 0, True, True, 10),
            EpisodeResult("a/x-v1", 1, 1, True, False, 30),
            EpisodeResult("a/y-v1", 0, 0, False, False, 50, error="worker died"),
        ]
    )
    rows = result.per_task()
    expected = {"episodes": 2, "success": 1.0, "success_at_end": 0.5, "mean_steps": 20.0}
    assert {k: rows["a/x-v1"][k] for k in expected} == expected
    assert rows["a/x-v1"]["errors"] == 0 and rows["a/x-v1"]["videos"] == []
    assert result.success == 0.5 and result.success_at_end == 0.25
    assert "(1 failed)" in result.table() and "| mean" in result.table()


def test_progress_is_the_most_goal_atoms_held_at_once():
    ep = EpisodeResult("a/x-v1", 0, 0)
    for goals in [(False, False, True), (True, False, False), (True, True, False), (False,) * 3]:
        ep.note_goals(goals)
    assert ep.progress == pytest.approx(2 / 3) and ep.goals_once == [True, True, True]
    other = EpisodeResult("a/y-v1", 0, 0)
    other.note_goals((False, False))
    result = EvalResult([ep, other])
    assert result.per_task()["a/y-v1"]["progress"] == 0.0
    assert (
        result.progress == pytest.approx(1 / 3) and result.summary()["progress"] == result.progress
    )
    assert "progress" in result.table().splitlines()[0]


def test_video_helpers(tmp_path):
    frames = [np.full((32, 32, 3), i * 20, np.uint8) for i in range(5)]
    marked = episode_frames(frames, "put the cube in the basket", [False, False, True, True, True])
    assert len(marked) == 5 and not np.array_equal(marked[0], frames[0])
    path = write_video(tmp_path / "v.mp4", marked, fps=20)
    assert iio.imread(path).shape == (5, 32, 32, 3)
    grid = grid_frames([frames, frames[:2], frames[:3]])
    assert len(grid) == 5 and grid[0].shape == (64, 64, 3)
    np.testing.assert_array_equal(grid[4][32:, :32], frames[2])  # shorter episodes hold
    with pytest.raises(ValueError, match="no frames"):
        write_video(tmp_path / "empty.mp4", [], fps=20)

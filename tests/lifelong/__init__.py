"""Helpers for the lifelong tests: tiny per-task demo files and a rollout-free evaluator."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np

from robolearn.data.episode import Episode
from robolearn.data.schema import make_env_args, make_robolearn_meta
from robolearn.data.writer import DemoWriter
from robolearn.tasks.suites import get_suite, get_task

SUITE = "object"
TASKS = get_suite(SUITE).task_ids[:2]


def task_episode(
    rng: np.random.Generator, length: int, task_index: int, objects: int, language: str
) -> Episode:
    """Random obs; the action is a task-specific linear map of them (tasks conflict)."""
    eef = rng.normal(size=(length, 3)).astype(np.float32)
    obj = rng.normal(size=(length, objects)).astype(np.float32)
    grip = rng.uniform(0, 0.04, size=(length, 2)).astype(np.float32)
    sign = 1.0 if task_index % 2 == 0 else -1.0
    actions = np.concatenate(
        [sign * 0.5 * np.tanh(obj[:, :3] - eef), 0.1 * sign * eef, np.sign(grip[:, :1] - 0.02)],
        axis=1,
    ).astype(np.float32)
    return Episode(
        obs={
            "eef_pos": eef,
            "eef_quat": np.tile(np.array([1, 0, 0, 0], np.float32), (length, 1)),
            "gripper_qpos": grip,
            "object_state": obj,
            "object_rel_pos": obj[:, :6] - np.tile(eef, 2),
            "fixture_rel_pos": obj[:, 3:6] - eef,
        },
        actions=actions,
        rewards=np.zeros(length),
        dones=np.arange(length) == length - 1,
        states=np.zeros((length, 4)),
        skills=[("reach", 0, length)],
        language=language,
    )


def write_task_files(
    root: Path, tasks=TASKS, demos: int = 10, length: int = 12, seed: int = 0
) -> list[Path]:
    """One file per task at ``<root>/<suite>/<task>.hdf5``; the second task has more objects."""
    paths = []
    for i, task_id in enumerate(tasks):
        suite, name = task_id.split("/", 1)
        path = Path(root) / suite / f"{name}.hdf5"
        path.parent.mkdir(parents=True, exist_ok=True)
        language = get_task(task_id).language
        env_args = make_env_args(task_id, {"cameras": [], "image_size": 16}, 20)
        meta = make_robolearn_meta({"task_id": task_id, "language": language}, [])
        rng = np.random.default_rng(seed + i)
        with DemoWriter(path, env_args, meta, compression=None, valid_fraction=0.2) as writer:
            for _ in range(demos):
                writer.add(task_episode(rng, length, i, 8 + 2 * i, language))
        paths.append(path)
    return paths


class ProbeEvaluator:
    """Stands in for rollouts: success on a task = the fraction of fresh probe steps where
    the policy's action is within ``tol`` (mean abs error) of the demo's (deterministic)."""

    def __init__(self, tasks=TASKS, tol: float = 0.2, steps: int = 24) -> None:
        self.tol = tol
        self.probes = {}
        for i, task_id in enumerate(tasks):
            ep = task_episode(np.random.default_rng(1000 + i), steps, i, 8 + 2 * i, "")
            self.probes[task_id] = (ep, get_task(task_id).language)
        self.calls: list[list[str]] = []

    def __call__(self, policy, task_ids, cfg, **kwargs):
        self.calls.append(list(task_ids))
        rows = {}
        for task_id in task_ids:
            ep, language = self.probes[task_id]
            policy.reset()
            obs = {k: v for k, v in ep.obs.items()}
            obs["language"] = [language] * len(ep.actions)
            actions = policy.act(obs)
            close = np.abs(actions - ep.actions).mean(axis=1) < self.tol
            rows[task_id] = {"success": float(close.mean())}
        return SimpleNamespace(per_task=lambda rows=rows: rows)

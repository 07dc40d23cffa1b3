"""Helpers for the policy tests: tiny demo files whose actions are a function of the obs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from robolearn.data.episode import Episode
from robolearn.data.schema import make_env_args, make_robolearn_meta
from robolearn.data.writer import DemoWriter

OBJECT_DIMS = 10


def make_episode(rng: np.random.Generator, length: int, size: int, language: str) -> Episode:
    """Random obs; the action is a fixed linear map of eef_pos and object_state (learnable)."""
    eef = rng.normal(size=(length, 3)).astype(np.float32)
    objects = rng.normal(size=(length, OBJECT_DIMS)).astype(np.float32)
    grip = rng.uniform(0, 0.04, size=(length, 2)).astype(np.float32)
    actions = np.concatenate(
        [0.5 * np.tanh(objects[:, :3] - eef), 0.1 * eef, np.sign(grip[:, :1] - 0.02)], axis=1
    ).astype(np.float32)
    images = rng.integers(0, 255, size=(length, size, size, 3), dtype=np.uint8)
    return Episode(
        obs={
            "eef_pos": eef,
            "eef_quat": np.tile(np.array([1, 0, 0, 0], np.float32), (length, 1)),
            "gripper_qpos": grip,
            "object_state": objects,
            "object_rel_pos": objects[:, :6] - np.tile(eef, 2),
            "fixture_rel_pos": np.zeros((length, 0), np.float32),  # a scene without fixtures
            "agentview_rgb": images,
            "wrist_rgb": images[:, ::-1].copy(),
        },
        actions=actions,
        rewards=np.zeros(length),
        dones=np.arange(length) == length - 1,
        states=np.zeros((length, 4)),
        skills=[("reach", 0, length)],
        language=language,
    )


def write_policy_file(
    path: Path,
    demos: int = 3,
    length: int = 12,
    size: int = 16,
    task_id: str = "object/cube-in-basket-v2",
    language: str = "put the cube in the basket",
    seed: int = 0,
) -> Path:
    rng = np.random.default_rng(seed)
    env_args = make_env_args(task_id, {"cameras": ["agentview", "wrist"], "image_size": size}, 20)
    meta = make_robolearn_meta({"task_id": task_id, "language": language}, ["agentview", "wrist"])
    with DemoWriter(path, env_args, meta, compression=None) as writer:
        for _ in range(demos):
            writer.add(make_episode(rng, length, size, language))
    return path

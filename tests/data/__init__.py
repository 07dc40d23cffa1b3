"""Helpers for the data tests: tiny episodes whose values encode their time index."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from robolearn.data.episode import Episode
from robolearn.data.schema import make_env_args, make_robolearn_meta
from robolearn.data.writer import DemoWriter

IMAGE_HW = (4, 6)  # H != W so a transposed image is caught


def make_episode(length: int, base: float = 0.0, language: str = "pick the bowl") -> Episode:
    """An episode where every value at step t encodes ``base + t``.

    ``obs["eef_pos"][t] == base + t`` (3 dims), ``obs["agentview_rgb"][t]`` is filled with
    ``(base + t) % 256``, ``actions[t] == [base + t + 0.5, -(base + t)]``.
    """
    t = np.arange(length, dtype=np.float64) + base
    image = np.zeros((length, *IMAGE_HW, 3), dtype=np.uint8)
    image[:] = (t % 256).astype(np.uint8)[:, None, None, None]
    image[:, 0, 0, :] = [255, 0, 0]  # a red top-left pixel: orientation marker
    return Episode(
        obs={"eef_pos": np.stack([t, t, t], axis=1).astype(np.float32), "agentview_rgb": image},
        actions=np.stack([t + 0.5, -t], axis=1).astype(np.float32),
        rewards=(t == t[-1]).astype(np.float64),
        dones=(t == t[-1]),
        states=np.stack([t, 2 * t, 3 * t, 4 * t], axis=1),
        skills=[("reach", 0, max(1, length // 2)), ("grasp", max(1, length // 2), length)]
        if length > 1
        else [("reach", 0, 1)],
        language=language,
        init_state={"objects": {"bowl": [0.1, 0.2, 0.0]}, "index": int(base)},
        seed=int(base) + 7,
        success=bool(int(base) % 2 == 0),
    )


def write_file(
    path: Path,
    lengths: list[int],
    task_id: str = "spatial/bowl-left-of-plate-v1",
    language: str = "pick the bowl",
    **kwargs: object,
) -> Path:
    """A complete demo file with one episode per length; episode i has base 100 * i."""
    env_args = make_env_args(task_id, {"cameras": ["agentview"], "image_size": 4}, 20)
    meta = make_robolearn_meta({"task_id": task_id, "language": language}, cameras=["agentview"])
    with DemoWriter(path, env_args, meta, **kwargs) as writer:  # type: ignore[arg-type]
        for i, length in enumerate(lengths):
            writer.add(make_episode(length, base=100.0 * i, language=language))
    return path

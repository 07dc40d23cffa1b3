"""``robolearn render checkpoint=... task=object/cube-in-basket-v2 out=cube.mp4``."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any


def run(cfg: Any) -> int:
    import imageio.v3 as iio

    from robolearn.cli.eval import load_checkpoints
    from robolearn.evaluation.config import EvalConfig
    from robolearn.evaluation.evaluate import evaluate
    from robolearn.evaluation.video import grid_frames, write_video

    policy = load_checkpoints(cfg)
    eval_cfg = EvalConfig(
        episodes_per_task=cfg.episodes, init_offset=cfg.init_state, max_steps=cfg.max_steps,
        num_envs=cfg.episodes, workers=0, videos_per_task=cfg.episodes, video_size=cfg.size,
        video_camera=cfg.camera, grid_video=False,
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        result = evaluate(policy, [cfg.task], eval_cfg, tmp)
        videos = [iio.imread(e.video) for e in result.episodes if e.video]
        frames = videos[0] if len(videos) == 1 else grid_frames(videos, cols=len(videos))
        path = write_video(Path(cfg.out), list(frames), 20)
    outcome = ", ".join("success" if e.success_once else "failure" for e in result.episodes)
    print(f"wrote {path} ({len(frames)} frames): {outcome}")
    return 0
